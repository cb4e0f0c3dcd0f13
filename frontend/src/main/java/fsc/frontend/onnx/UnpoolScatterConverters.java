package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.List;
import java.util.Map;

/**
 * MaxUnpool and TensorScatter, whose write positions are run-time data, through one-hot comparisons
 * (as {@link ScatterGatherConverters} does for ScatterND): each output position is compared with
 * every write position, and the matching value is summed in. Costs outputs × writes, fine for the
 * small tensors these ops see.
 *
 * <ul>
 *   <li>MaxUnpool: {@code y.flat[indices.flat[j]] = x.flat[j]} into zeros of the shape that inverts
 *       the pooling window; a given {@code output_shape} (which must be known) pads that at the end.
 *   <li>TensorScatter: {@code present = past} with {@code update}'s U entries written along {@code axis}
 *       from {@code write_indices[b]} on (wrapping when {@code mode = "circular"}), as a one-hot
 *       {@code [B, 1.., S, U]} matmul with the update.
 * </ul>
 */
final class UnpoolScatterConverters {
    private UnpoolScatterConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("MaxUnpool", 11, UnpoolScatterConverters::maxUnpool));
        rules.add(new Rule("TensorScatter", 24, UnpoolScatterConverters::tensorScatter));
    }

    private static void maxUnpool(NodeContext c) {
        Value x = c.input(0);
        Value indices = c.input(1);
        long[] xs = StaticSelection.fixedShape(c, x);
        if (x.type().dtype() != DType.F32 || xs.length < 3) {
            throw c.fail("needs f32 input [N, C, spatial...], got " + x.type());
        }
        int spatial = xs.length - 2;
        long[] kernel = c.attrs.ints("kernel_shape").orElseThrow(() -> c.fail("needs attribute 'kernel_shape'"));
        long[] strides = c.attrs.ints("strides").orElse(ones(spatial));
        long[] pads = c.attrs.ints("pads").orElse(new long[2 * spatial]);
        long[] inferred = xs.clone();
        for (int d = 0; d < spatial; d++) {
            inferred[2 + d] = (xs[2 + d] - 1) * strides[d] + kernel[d] - pads[d] - pads[d + spatial];
        }
        // The indices address the inferred shape; a larger output_shape pads it with zeros at the end.
        long[] out = c.hasInput(2) ? KnownOperands.tensor(c, 2, "output_shape").toLongArray() : inferred;
        if (out.length != xs.length || out[0] != xs[0] || out[1] != xs[1]) {
            throw c.fail("output_shape " + java.util.Arrays.toString(out) + " does not fit input " + x.type());
        }
        long positions = StaticSelection.count(out);
        long writes = StaticSelection.count(xs);
        long[] inferredStrides = StaticSelection.strides(inferred);
        long[] iota = SelectionConverters.mapEach(out, (coord, unused) -> {
            long at = 0;
            for (int d = 0; d < coord.length; d++) {
                if (coord[d] >= inferred[d]) {
                    return -1;
                }
                at += coord[d] * inferredStrides[d];
            }
            return at;
        });
        Value where = c.constant(
                "positions", HostTensor.ofLongs(new long[] {positions, 1}, iota).toWeight());
        Value idx = c.emit(
                "reshape", List.of(indices), Map.of("shape", StaticSelection.dims(1, writes)), c.temp("indices"));
        Value hit = c.emit("equal", List.of(where, idx), Map.of(), c.temp("hit"));
        Value values =
                c.emit("reshape", List.of(x), Map.of("shape", StaticSelection.dims(1, writes)), c.temp("values"));
        Value zero = c.constant("zero", HostTensor.zeros(DType.F32, new long[0]).toWeight());
        Value placed = c.emit("where", List.of(hit, values, zero), Map.of(), c.temp("placed"));
        Value flat = c.emit(
                "reduce_sum",
                List.of(placed),
                Map.of("axes", Attr.ints(1), "keepdims", new Attr.Int(0)),
                c.temp("flat"));
        c.produce("reshape", List.of(flat), Map.of("shape", StaticSelection.dims(out)));
    }

    private static void tensorScatter(NodeContext c) {
        Value past = c.input(0);
        Value update = c.input(1);
        long[] ps = StaticSelection.fixedShape(c, past);
        long[] us = StaticSelection.fixedShape(c, update);
        int rank = ps.length;
        int axis = SelectionConverters.axis(c, c.attrs.intValue("axis", -2), rank);
        if (past.type().dtype() != DType.F32 || update.type().dtype() != DType.F32 || us.length != rank || axis == 0) {
            throw c.fail("needs f32 past_cache and update of one rank and a non-batch axis, got " + past.type()
                    + " and " + update.type());
        }
        String mode = c.attrs.string("mode").orElse("linear");
        if (!mode.equals("linear") && !mode.equals("circular")) {
            throw c.fail("unknown mode \"" + mode + "\"");
        }
        long batch = ps[0];
        long seq = ps[axis];
        long count = us[axis];
        // Work with the scatter axis second to last: swap it there (a swap is its own inverse).
        long[] perm = new long[rank];
        for (int d = 0; d < rank; d++) {
            perm[d] = d;
        }
        perm[axis] = rank - 2;
        perm[rank - 2] = axis;
        boolean swap = axis != rank - 2;
        Value p = swap ? c.emit("transpose", List.of(past), Map.of("perm", Attr.ints(perm)), c.temp("past_t")) : past;
        Value u = swap
                ? c.emit("transpose", List.of(update), Map.of("perm", Attr.ints(perm)), c.temp("update_t"))
                : update;
        long[] seqIota = new long[(int) seq];
        for (int i = 0; i < seq; i++) {
            seqIota[i] = i;
        }
        Value position = c.constant(
                "positions", HostTensor.ofLongs(new long[] {1, seq}, seqIota).toWeight());
        Value offset;
        if (c.hasInput(2)) {
            Value w = c.input(2);
            if (w.type().dtype() != DType.I64) {
                w = c.emit("cast", List.of(w), Map.of("to", new Attr.Type(DType.I64)), c.temp("write_i64"));
            }
            Value start =
                    c.emit("reshape", List.of(w), Map.of("shape", StaticSelection.dims(batch, 1)), c.temp("start"));
            offset = c.emit("sub", List.of(position, start), Map.of(), c.temp("offset"));
        } else {
            offset = position;
        }
        if (mode.equals("circular")) {
            Value length =
                    c.constant("length", HostTensor.ofLongs(new long[0], seq).toWeight());
            offset = c.emit("mod", List.of(offset, length), Map.of(), c.temp("wrapped"));
        }
        long[] updIota = new long[(int) count];
        for (int i = 0; i < count; i++) {
            updIota[i] = i;
        }
        Value slots = c.constant(
                "slots", HostTensor.ofLongs(new long[] {1, 1, count}, updIota).toWeight());
        Value offset3 = c.emit(
                "reshape", List.of(offset), Map.of("shape", StaticSelection.dims(-1, seq, 1)), c.temp("offset3"));
        Value hit = c.emit("equal", List.of(offset3, slots), Map.of(), c.temp("hit"));
        Value oneHot = c.emit("cast", List.of(hit), Map.of("to", new Attr.Type(DType.F32)), c.temp("one_hot"));
        // [B or 1, S, U] → [B or 1, 1.., S, U] to broadcast over the dims between batch and the axis.
        long[] oh = new long[rank];
        java.util.Arrays.fill(oh, 1);
        oh[0] = c.hasInput(2) ? batch : 1;
        oh[rank - 2] = seq;
        oh[rank - 1] = count;
        Value oneHotN =
                c.emit("reshape", List.of(oneHot), Map.of("shape", StaticSelection.dims(oh)), c.temp("one_hot_n"));
        Value written = c.emit("matmul", List.of(oneHotN, u), Map.of(), c.temp("written"));
        Value covered = c.emit(
                "reduce_max",
                List.of(oneHotN),
                Map.of("axes", Attr.ints(rank - 1), "keepdims", new Attr.Int(1)),
                c.temp("covered"));
        Value half = c.constant("half", HostTensor.ofFloats(new long[0], 0.5f).toWeight());
        Value mask = c.emit("greater", List.of(covered, half), Map.of(), c.temp("mask"));
        if (!swap) {
            c.produce("where", List.of(mask, written, p), Map.of());
            return;
        }
        Value merged = c.emit("where", List.of(mask, written, p), Map.of(), c.temp("merged"));
        c.produce("transpose", List.of(merged), Map.of("perm", Attr.ints(perm)));
    }

    private static long[] ones(int n) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }
}
