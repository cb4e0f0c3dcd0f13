package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * TopK without a sort: each element's rank along the axis is the number of elements that beat it
 * (larger, or equal at a lower index, as ONNX orders ties), and output {@code r} picks the element
 * of rank {@code r}. Quadratic in the axis length, which suits the small axes TopK sees in
 * inference graphs (sampling heads excepted). K must be known at compile time.
 */
final class TopKConverter {
    private TopKConverter() {}

    static void register(List<Rule> rules) {
        // TopK-10 took K as an operand; 11 added largest and sorted.
        rules.add(new Rule("TopK", 10, TopKConverter::topk));
    }

    private static void topk(NodeContext c) {
        Value x = c.input(0);
        Value kv = c.input(1);
        long k = c.knownInts(kv)
                .filter(v -> v.size() == 1 && v.getFirst().isFixed())
                .map(v -> v.getFirst().value())
                .orElseThrow(() -> new FscException(
                        c.where + ": K ('" + kv.name() + "') must be known at compile time",
                        "bind it with --bind " + kv.name() + "=FILE"));
        int rank = x.type().rank();
        long a = c.attrs.intValue("axis", -1);
        int axis = (int) (a < 0 ? a + rank : a);
        boolean largest = c.attrs.intValue("largest", 1) != 0;
        Dim nd = x.type().dim(axis);
        // Ranks only compare elements, so any ordered dtype works; values are picked by a masked sum,
        // which is exact because exactly one element has each rank.
        if (!nd.isFixed() || k > nd.value() || x.dtype() == DType.BOOL) {
            throw c.fail("needs numeric data with a fixed axis of at least K = " + k + " elements, got " + x.type());
        }
        long n = nd.value();
        long[] perm = new long[rank];
        for (int i = 0, p = 0; i < rank; i++) {
            if (i != axis) {
                perm[p++] = i;
            }
        }
        perm[rank - 1] = axis;
        long[] back = new long[rank];
        for (int i = 0; i < rank; i++) {
            back[(int) perm[i]] = i;
        }
        Value xt = emit(c, "transpose", List.of(x), Map.of("perm", Attr.ints(perm)), "axis_last");
        Value xi = emit(c, "unsqueeze", List.of(xt), Map.of("axes", Attr.ints(rank)), "x_i");
        Value xj = emit(c, "unsqueeze", List.of(xt), Map.of("axes", Attr.ints(rank - 1)), "x_j");
        Value better = emit(c, largest ? "greater" : "less", List.of(xj, xi), Map.of(), "better");
        Value same = emit(c, "equal", List.of(xj, xi), Map.of(), "same");
        ByteBuffer before = ByteBuffer.allocate((int) (n * n));
        for (long i = 0; i < n; i++) {
            for (long j = 0; j < n; j++) {
                before.put((byte) (j < i ? 1 : 0));
            }
        }
        Value earlier = c.constant("earlier", new WeightData(DType.BOOL, List.of(n, n), before.flip()));
        Value tie = emit(c, "and", List.of(same, earlier), Map.of(), "tie");
        Value beats = emit(c, "or", List.of(better, tie), Map.of(), "beats");
        Value beatsF = emit(c, "cast", List.of(beats), Map.of("to", new Attr.Type(DType.F32)), "beats_f32");
        Value ranks = emit(
                c, "reduce_sum", List.of(beatsF), Map.of("axes", Attr.ints(rank), "keepdims", new Attr.Int(0)), "rank");
        Value rankRow = emit(c, "unsqueeze", List.of(ranks), Map.of("axes", Attr.ints(rank - 1)), "rank_row");
        Value wanted = c.constant("wanted", ramp(List.of(k, 1L), k));
        Value pick = emit(c, "equal", List.of(rankRow, wanted), Map.of(), "pick");
        Value zero = ActivationConverters.scalar(c, "zero", DType.F32, 0);
        Value zeroX = x.dtype() == DType.F32 ? zero : ActivationConverters.scalar(c, "zero_x", x.dtype(), 0);
        Map<String, Attr> lastAxis = Map.of("axes", Attr.ints(rank), "keepdims", new Attr.Int(0));
        Value vals = emit(c, "where", List.of(pick, xj, zeroX), Map.of(), "picked_values");
        Value values = emit(c, "reduce_sum", List.of(vals), lastAxis, "values_last");
        Value positions = c.constant("positions", ramp(List.of(n), n));
        Value idx = emit(c, "where", List.of(pick, positions, zero), Map.of(), "picked_indices");
        Value indices = emit(c, "reduce_sum", List.of(idx), lastAxis, "indices_last");
        c.define(0, c.emit("transpose", List.of(values), Map.of("perm", Attr.ints(back)), c.outputName(0)));
        if (c.node.getOutputCount() > 1 && !c.outputName(1).isEmpty()) {
            Value i64 = emit(c, "cast", List.of(indices), Map.of("to", new Attr.Type(DType.I64)), "indices_i64");
            c.define(1, c.emit("transpose", List.of(i64), Map.of("perm", Attr.ints(back)), c.outputName(1)));
        }
    }

    private static Value emit(NodeContext c, String op, List<Value> in, Map<String, Attr> attrs, String suffix) {
        return c.emit(op, in, attrs, c.temp(suffix));
    }

    /** {@code 0, 1, ..., n-1} as f32 in {@code shape}. */
    private static WeightData ramp(List<Long> shape, long n) {
        ByteBuffer b = ByteBuffer.allocate((int) (n * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            b.putFloat(i);
        }
        return new WeightData(DType.F32, new ArrayList<>(shape), b.flip());
    }
}
