package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Ops whose result marks positions: Hardmax (1 at each row's first maximum), OneHot and EyeLike.
 * Each compares an index with a compile-time {@code 0..n-1} ramp and selects or casts the result.
 */
final class IndicatorConverters {
    private IndicatorConverters() {}

    static void register(List<Rule> rules) {
        // Hardmax-13 works along one axis; earlier versions coerced to 2-D.
        rules.add(new Rule("Hardmax", 13, IndicatorConverters::hardmax));
        rules.add(new Rule("OneHot", 11, IndicatorConverters::oneHot));
        rules.add(new Rule("EyeLike", 9, IndicatorConverters::eyeLike));
        rules.add(new Rule("LpNormalization", 1, IndicatorConverters::lpNormalization));
        rules.add(new Rule("GatherElements", 11, IndicatorConverters::gatherElements));
    }

    private static void hardmax(NodeContext c) {
        Value x = c.input(0);
        int rank = x.type().rank();
        long a = c.attrs.intValue("axis", -1);
        int axis = (int) (a < 0 ? a + rank : a);
        Dim n = x.type().dim(axis);
        if (!n.isFixed()) {
            throw c.fail("needs a fixed size along axis " + axis + ", got " + x.type());
        }
        Value idx = c.emit(
                "argmax",
                List.of(x),
                Map.of("axis", new Attr.Int(axis), "keepdims", new Attr.Int(1)),
                c.temp("argmax"));
        List<Long> rampShape = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            rampShape.add(i == axis ? n.value() : 1L);
        }
        Value ramp = c.constant("ramp", ramp(rampShape, n.value()));
        Value hit = c.emit("equal", List.of(idx, ramp), Map.of(), c.temp("hit"));
        c.produce("cast", List.of(hit), Map.of("to", new Attr.Type(x.dtype())));
    }

    /** {@code where(normalise(indices) == ramp, on, off)} with the new axis at {@code axis}. */
    private static void oneHot(NodeContext c) {
        Value indices = c.input(0);
        Value depthInput = c.input(1);
        long depth = c.constantData(depthInput)
                .filter(w -> w.elementCount() == 1)
                .map(w -> (long) TensorData.scalar(w))
                .orElseThrow(() -> new fsc.ir.FscException(
                        c.where + ": depth ('" + depthInput.name() + "') must be known at compile time",
                        "bind it with --bind " + depthInput.name() + "=FILE"));
        Value values = c.input(2);
        int rank = indices.type().rank() + 1;
        long a = c.attrs.intValue("axis", -1);
        int axis = (int) (a < 0 ? a + rank : a);
        Value idx = indices.dtype() == DType.I64
                ? indices
                : c.emit("cast", List.of(indices), Map.of("to", new Attr.Type(DType.I64)), c.temp("idx64"));
        // Negative indices count from the end: idx + depth * (idx < 0).
        Value zero = c.constant("zero", scalarLong(0));
        Value depthC = c.constant("depth", scalarLong(depth));
        Value negative = c.emit("less", List.of(idx, zero), Map.of(), c.temp("negative"));
        Value shifted = c.emit("add", List.of(idx, depthC), Map.of(), c.temp("shifted"));
        Value norm = c.emit("where", List.of(negative, shifted, idx), Map.of(), c.temp("normalised"));
        Value expanded = c.emit("unsqueeze", List.of(norm), Map.of("axes", Attr.ints(axis)), c.temp("expanded"));
        List<Long> rampShape = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            rampShape.add(i == axis ? depth : 1L);
        }
        Value hit =
                c.emit("equal", List.of(expanded, c.constant("ramp", ramp(rampShape, depth))), Map.of(), c.temp("hit"));
        Value off = pick(c, values, 0, "off");
        Value on = pick(c, values, 1, "on");
        c.produce("where", List.of(hit, on, off), Map.of());
    }

    private static Value pick(NodeContext c, Value values, long i, String name) {
        return c.emit(
                "slice",
                List.of(values),
                Map.of(
                        "starts", new Attr.Dims(List.of(Dim.of(i))),
                        "ends", new Attr.Dims(List.of(Dim.of(i + 1))),
                        "axes", Attr.ints(0)),
                c.temp(name));
    }

    private static void eyeLike(NodeContext c) {
        Value x = c.input(0);
        if (x.type().rank() != 2
                || !x.type().dim(0).isFixed()
                || !x.type().dim(1).isFixed()) {
            throw c.fail("needs a fixed 2-D input, got " + x.type());
        }
        long rows = x.type().dim(0).value();
        long cols = x.type().dim(1).value();
        long k = c.attrs.intValue("k", 0);
        DType dtype = c.attrs
                .intValue("dtype")
                .map(t -> OnnxDTypes.require(t.intValue(), c.where + ": dtype"))
                .orElse(x.dtype());
        ByteBuffer b = ByteBuffer.allocate((int) (rows * cols * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < rows; i++) {
            for (long j = 0; j < cols; j++) {
                b.putFloat(j - i == k ? 1f : 0f);
            }
        }
        Value eye = c.constant("eye", new WeightData(DType.F32, List.of(rows, cols), b.flip()));
        c.produce("cast", List.of(eye), Map.of("to", new Attr.Type(dtype)));
    }

    /** {@code x / ||x||_p} along {@code axis} (p 1 or 2). */
    private static void lpNormalization(NodeContext c) {
        Value x = c.input(0);
        long p = c.attrs.intValue("p", 2);
        Map<String, Attr> reduce = Map.of("axes", Attr.ints(c.attrs.intValue("axis", -1)), "keepdims", new Attr.Int(1));
        Value norm;
        if (p == 1) {
            Value abs = c.emit("abs", List.of(x), Map.of(), c.temp("abs"));
            norm = c.emit("reduce_sum", List.of(abs), reduce, c.temp("norm"));
        } else if (p == 2) {
            Value sq = c.emit("mul", List.of(x, x), Map.of(), c.temp("square"));
            Value sum = c.emit("reduce_sum", List.of(sq), reduce, c.temp("sum"));
            norm = c.emit("sqrt", List.of(sum), Map.of(), c.temp("norm"));
        } else {
            throw c.fail("p must be 1 or 2, got " + p);
        }
        // A zero norm means x is all zeros there; ONNX gives 0, not 0/0.
        Value zero = ActivationConverters.scalar(c, "zero", x.dtype(), 0);
        Value one = ActivationConverters.scalar(c, "one", x.dtype(), 1);
        Value isZero = c.emit("equal", List.of(norm, zero), Map.of(), c.temp("norm_is_zero"));
        Value safe = c.emit("where", List.of(isZero, one, norm), Map.of(), c.temp("safe_norm"));
        c.produce("div", List.of(x, safe), Map.of());
    }

    /**
     * {@code out[p] = data[p with p[axis] := indices[p]]} as {@code sum_c [indices[p] == c] *
     * data[..c..]}: the data's axis moves last and meets a one-hot of the indices. Indices must have
     * the data's sizes on the other axes.
     */
    private static void gatherElements(NodeContext c) {
        Value data = c.input(0);
        Value indices = c.input(1);
        int rank = data.type().rank();
        long a = c.attrs.intValue("axis", 0);
        int axis = (int) (a < 0 ? a + rank : a);
        Dim n = data.type().dim(axis);
        for (int i = 0; i < rank; i++) {
            if (i != axis && !indices.type().dim(i).equals(data.type().dim(i))) {
                throw c.fail("indices " + indices.type() + " must match data " + data.type() + " outside axis " + axis);
            }
        }
        if (!n.isFixed()) {
            throw c.fail("needs a fixed size along axis " + axis + ", got " + data.type());
        }
        Value idx = indices.dtype() == DType.I64
                ? indices
                : c.emit("cast", List.of(indices), Map.of("to", new Attr.Type(DType.I64)), c.temp("idx64"));
        Value zero = c.constant("zero", scalarLong(0));
        Value size = c.constant("size", scalarLong(n.value()));
        Value negative = c.emit("less", List.of(idx, zero), Map.of(), c.temp("negative"));
        Value wrapped = c.emit("add", List.of(idx, size), Map.of(), c.temp("wrapped"));
        Value norm = c.emit("where", List.of(negative, wrapped, idx), Map.of(), c.temp("normalised"));
        Value last = c.emit("unsqueeze", List.of(norm), Map.of("axes", Attr.ints(rank)), c.temp("idx_last"));
        List<Long> rampShape = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            rampShape.add(1L);
        }
        rampShape.add(n.value());
        Value hit =
                c.emit("equal", List.of(last, c.constant("ramp", ramp(rampShape, n.value()))), Map.of(), c.temp("hit"));
        long[] perm = new long[rank];
        for (int i = 0, p = 0; i < rank; i++) {
            if (i != axis) {
                perm[p++] = i;
            }
        }
        perm[rank - 1] = axis;
        Value moved = c.emit("transpose", List.of(data), Map.of("perm", Attr.ints(perm)), c.temp("axis_last"));
        Value spread = c.emit("unsqueeze", List.of(moved), Map.of("axes", Attr.ints(axis)), c.temp("spread"));
        Value zeros = ActivationConverters.scalar(c, "fill", data.dtype(), 0);
        Value chosen = c.emit("where", List.of(hit, spread, zeros), Map.of(), c.temp("chosen"));
        c.produce("reduce_sum", List.of(chosen), Map.of("axes", Attr.ints(rank), "keepdims", new Attr.Int(0)));
    }

    private static WeightData ramp(List<Long> shape, long n) {
        ByteBuffer b = ByteBuffer.allocate((int) (n * 8)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            b.putLong(i);
        }
        return new WeightData(DType.I64, shape, b.flip());
    }

    private static WeightData scalarLong(long v) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
        return new WeightData(DType.I64, List.of(), b.flip());
    }
}
