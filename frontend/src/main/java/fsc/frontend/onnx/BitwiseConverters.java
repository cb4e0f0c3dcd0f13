package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import java.util.List;
import java.util.Map;

/**
 * BitwiseAnd/Or/Xor/Not (opset 18) onto the integer IR ops {@code bitwise_and}, {@code bitwise_or},
 * {@code bitwise_xor}, {@code bitwise_not}. The Java backend runs them on i32 and i64; other integer
 * widths wait on its 8/16-bit and unsigned kernels.
 */
final class BitwiseConverters {
    private BitwiseConverters() {}

    static void register(List<Rule> rules) {
        for (String op : List.of("BitwiseAnd", "BitwiseOr", "BitwiseXor")) {
            String ir = ElementwiseConverters.snake(op);
            rules.add(new Rule(op, 18, c -> c.produce(ir, List.of(c.input(0), c.input(1)), Map.of())));
        }
        rules.add(new Rule("BitwiseNot", 18, c -> c.produce("bitwise_not", List.of(c.input(0)), Map.of())));
    }
}
