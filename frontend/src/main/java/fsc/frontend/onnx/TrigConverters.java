package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import java.util.List;
import java.util.Map;

/**
 * The trigonometric and hyperbolic ops beyond Sin and Cos, one IR op each (Tan → {@code tan}, Asinh →
 * {@code asinh}, ...). Opset 7 introduced Tan, Asin, Acos and Atan, opset 9 the hyperbolic ones; the
 * later versions (22) only widen the types.
 */
final class TrigConverters {
    private TrigConverters() {}

    static void register(List<Rule> rules) {
        for (String op : List.of("Tan", "Asin", "Acos", "Atan")) {
            unary(rules, op, 7);
        }
        for (String op : List.of("Sinh", "Cosh", "Asinh", "Acosh", "Atanh")) {
            unary(rules, op, 9);
        }
    }

    private static void unary(List<Rule> rules, String onnx, int since) {
        String ir = ElementwiseConverters.snake(onnx);
        rules.add(new Rule(onnx, since, ctx -> {
            if (!ctx.input(0).type().dtype().isFloat()) {
                throw ctx.fail(
                        "needs a floating-point input, got " + ctx.input(0).type());
            }
            ctx.produce(ir, List.of(ctx.input(0)), Map.of());
        }));
    }
}
