package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import java.util.List;
import java.util.Map;

/**
 * The integer bit ops: BitwiseAnd/Or/Xor/Not (opset 18) onto {@code bitwise_and}, {@code bitwise_or},
 * {@code bitwise_xor}, {@code bitwise_not}; BitShift (opset 11) onto {@code bit_shift_left} or
 * {@code bit_shift_right} by its {@code direction}; BitCast (opset 26) onto {@code bitcast}.
 */
final class BitwiseConverters {
    private BitwiseConverters() {}

    static void register(List<Rule> rules) {
        for (String op : List.of("BitwiseAnd", "BitwiseOr", "BitwiseXor")) {
            String ir = ElementwiseConverters.snake(op);
            rules.add(new Rule(op, 18, c -> c.produce(ir, List.of(c.input(0), c.input(1)), Map.of())));
        }
        rules.add(new Rule("BitwiseNot", 18, c -> c.produce("bitwise_not", List.of(c.input(0)), Map.of())));
        rules.add(new Rule("BitShift", 11, BitwiseConverters::bitShift));
        rules.add(new Rule("BitCast", 26, BitwiseConverters::bitCast));
    }

    private static void bitShift(NodeContext ctx) {
        String direction = ctx.attrs.string("direction").orElseThrow(() -> ctx.fail("needs attribute 'direction'"));
        String ir =
                switch (direction) {
                    case "LEFT" -> "bit_shift_left";
                    case "RIGHT" -> "bit_shift_right";
                    default -> throw ctx.fail("direction must be \"LEFT\" or \"RIGHT\", got \"" + direction + "\"");
                };
        ctx.produce(ir, List.of(ctx.input(0), ctx.input(1)), Map.of());
    }

    private static void bitCast(NodeContext ctx) {
        long to = ctx.attrs.intValue("to").orElseThrow(() -> ctx.fail("needs attribute 'to'"));
        DType target = OnnxDTypes.require((int) to, ctx.where + ": the bitcast target");
        ctx.produce("bitcast", List.of(ctx.input(0)), Map.of("to", new Attr.Type(target)));
    }
}
