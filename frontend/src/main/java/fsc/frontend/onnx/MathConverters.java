package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Linear algebra and normalisations: MatMul, Gemm, Reduce*, Softmax, LogSoftmax, LayerNormalization. */
final class MathConverters {
    private MathConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("MatMul", 1, ctx -> ctx.produce("matmul", List.of(ctx.input(0), ctx.input(1)), Map.of())));
        // Gemm-7 is the first with numpy-style broadcasting of C.
        rules.add(new Rule("Gemm", 7, MathConverters::gemm));
        // ReduceSum took its axes as an operand from opset 13, the other reductions from opset 18.
        reduce(rules, "ReduceSum", "reduce_sum", 13);
        reduce(rules, "ReduceMean", "reduce_mean", 18);
        reduce(rules, "ReduceMax", "reduce_max", 18);
        reduce(rules, "ReduceMin", "reduce_min", 18);
        reduce(rules, "ReduceProd", "reduce_prod", 18);
        reduce(rules, "ReduceL2", "reduce_l2", 18);
        rules.add(new Rule("Softmax", 1, ctx -> softmax(ctx, "softmax")));
        rules.add(new Rule("LogSoftmax", 1, ctx -> softmax(ctx, "log_softmax")));
        rules.add(new Rule("LayerNormalization", 17, MathConverters::layerNorm));
    }

    private static void gemm(NodeContext ctx) {
        Map<String, Attr> attrs = new TreeMap<>();
        ctx.attrs.floatValue("alpha").ifPresent(a -> attrs.put("alpha", new Attr.Float(a)));
        ctx.attrs.floatValue("beta").ifPresent(b -> attrs.put("beta", new Attr.Float(b)));
        ctx.attrs.intValue("transA").ifPresent(t -> attrs.put("trans_a", new Attr.Int(t)));
        ctx.attrs.intValue("transB").ifPresent(t -> attrs.put("trans_b", new Attr.Int(t)));
        List<Value> in = new ArrayList<>(List.of(ctx.input(0), ctx.input(1)));
        ctx.optionalInput(2).ifPresent(in::add);
        ctx.produce("gemm", in, attrs);
    }

    private static void reduce(List<Rule> rules, String onnx, String ir, int axesOperandSince) {
        rules.add(new Rule(onnx, 1, ctx -> {
            Map<String, Attr> attrs = new TreeMap<>();
            ctx.attrs.intValue("keepdims").ifPresent(k -> attrs.put("keepdims", new Attr.Int(k)));
            List<Value> in = new ArrayList<>(List.of(ctx.input(0)));
            if (ctx.opset < axesOperandSince) {
                ctx.attrs.ints("axes").ifPresent(a -> attrs.put("axes", Attr.ints(a)));
            } else {
                ctx.attrs
                        .intValue("noop_with_empty_axes")
                        .ifPresent(n -> attrs.put("noop_with_empty_axes", new Attr.Int(n)));
                ctx.optionalInput(1).ifPresent(in::add);
            }
            ctx.produce(ir, in, attrs);
        }));
    }

    /**
     * Softmax-13 normalises along one axis (default -1). Before opset 13 the input was coerced to
     * 2-D at {@code axis} (default 1) and normalised over everything after it; that becomes
     * reshape → softmax(axis 1) → reshape, or a plain softmax when {@code axis} is the last axis,
     * where both readings agree.
     */
    private static void softmax(NodeContext ctx, String ir) {
        Value x = ctx.input(0);
        int rank = x.type().rank();
        if (ctx.opset >= 13) {
            ctx.produce(ir, List.of(x), Map.of("axis", new Attr.Int(ctx.attrs.intValue("axis", -1))));
            return;
        }
        long a = ctx.attrs.intValue("axis", 1);
        if (a < -rank || a >= Math.max(rank, 1)) {
            throw ctx.fail("axis " + a + " is out of range for " + x.type());
        }
        int axis = (int) (a < 0 ? a + rank : a);
        if (axis == rank - 1) {
            ctx.produce(ir, List.of(x), Map.of("axis", new Attr.Int(-1)));
            return;
        }
        List<Dim> dims = x.type().dims();
        List<Dim> flat = List.of(Dim.product(dims.subList(0, axis)), Dim.product(dims.subList(axis, rank)));
        Value in2d = ctx.emit("reshape", List.of(x), Map.of("shape", new Attr.Dims(flat)), ctx.temp("2d"));
        Value out2d = ctx.emit(ir, List.of(in2d), Map.of("axis", new Attr.Int(1)), ctx.temp(ir + "_2d"));
        ctx.produce("reshape", List.of(out2d), Map.of("shape", new Attr.Dims(dims)));
    }

    private static void layerNorm(NodeContext ctx) {
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("axis", new Attr.Int(ctx.attrs.intValue("axis", -1)));
        attrs.put("epsilon", new Attr.Float(ctx.attrs.floatValue("epsilon").orElse(1e-5)));
        List<Value> in = new ArrayList<>(List.of(ctx.input(0), ctx.input(1)));
        ctx.optionalInput(2).ifPresent(in::add);
        ctx.produce("layer_norm", in, attrs);
        DerivedConverters.layerNormStatistics(
                ctx, ((Attr.Int) attrs.get("axis")).value(), ((Attr.Float) attrs.get("epsilon")).value());
    }
}
