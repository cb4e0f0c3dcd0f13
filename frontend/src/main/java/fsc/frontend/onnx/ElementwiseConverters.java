package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Element-wise ONNX ops: arithmetic, comparisons, logic, Where, unary maps, Gelu, Cast. */
final class ElementwiseConverters {
    private ElementwiseConverters() {}

    static void register(List<Rule> rules) {
        // Opset 7 replaced the legacy `broadcast`/`axis` attributes by numpy broadcasting.
        binary(rules, "Add", "add", 7);
        binary(rules, "Sub", "sub", 7);
        binary(rules, "Mul", "mul", 7);
        binary(rules, "Div", "div", 7);
        // Equal-19 added strings: those compare as text (IR string_equal), never as numbers.
        rules.add(new Rule(
                "Equal",
                7,
                ctx -> ctx.produce(
                        ctx.input(0).dtype().isString() ? "string_equal" : "equal",
                        List.of(ctx.input(0), ctx.input(1)),
                        Map.of())));
        binary(rules, "Less", "less", 7);
        binary(rules, "Greater", "greater", 7);
        binary(rules, "LessOrEqual", "less_or_equal", 12);
        binary(rules, "GreaterOrEqual", "greater_or_equal", 12);
        binary(rules, "And", "and", 7);
        binary(rules, "Or", "or", 7);
        binary(rules, "Xor", "xor", 7);
        rules.add(new Rule("Mod", 10, ElementwiseConverters::mod));
        // Max and Min are variadic; opset 8 made them broadcast.
        rules.add(new Rule("Max", 8, ctx -> variadic(ctx, "max")));
        rules.add(new Rule("Min", 8, ctx -> variadic(ctx, "min")));
        rules.add(new Rule("Where", 9, ctx -> ctx.produce("where", ctx.inputs(), Map.of())));
        // Opset 6 dropped the legacy `consumed_inputs` attribute of these.
        for (String op :
                List.of("Neg", "Abs", "Sqrt", "Reciprocal", "Exp", "Log", "Floor", "Ceil", "Relu", "Sigmoid", "Tanh")) {
            unary(rules, op, 6);
        }
        unary(rules, "Erf", 9);
        unary(rules, "Sign", 9);
        unary(rules, "Round", 11);
        unary(rules, "Sin", 7);
        unary(rules, "Cos", 7);
        unary(rules, "Not", 1);
        rules.add(new Rule("Identity", 1, SequenceConverters::identity));
        rules.add(new Rule("Gelu", 20, ElementwiseConverters::gelu));
        // Cast-1 named the target type with a string; from opset 6 it is a DataType code.
        rules.add(new Rule("Cast", 6, ElementwiseConverters::cast));
    }

    private static void binary(List<Rule> rules, String onnx, String ir, int since) {
        rules.add(new Rule(onnx, since, ctx -> ctx.produce(ir, List.of(ctx.input(0), ctx.input(1)), Map.of())));
    }

    private static void unary(List<Rule> rules, String onnx, int since) {
        String ir = snake(onnx);
        rules.add(new Rule(onnx, since, ctx -> ctx.produce(ir, List.of(ctx.input(0)), Map.of())));
    }

    private static void mod(NodeContext ctx) {
        Map<String, Attr> attrs = new TreeMap<>();
        ctx.attrs.intValue("fmod").ifPresent(f -> attrs.put("fmod", new Attr.Int(f)));
        ctx.produce("mod", List.of(ctx.input(0), ctx.input(1)), attrs);
    }

    /** {@code Max(a, b, c)} as {@code max(max(a, b), c)}; one operand is a copy. */
    private static void variadic(NodeContext ctx, String ir) {
        List<Value> in = ctx.inputs();
        if (in.isEmpty()) {
            throw ctx.fail("needs at least one input");
        }
        if (in.size() == 1) {
            ctx.produce("identity", in, Map.of());
            return;
        }
        Value acc = in.getFirst();
        for (int i = 1; i < in.size() - 1; i++) {
            acc = ctx.emit(ir, List.of(acc, in.get(i)), Map.of(), ctx.temp(ir + i));
        }
        ctx.produce(ir, List.of(acc, in.getLast()), Map.of());
    }

    private static void gelu(NodeContext ctx) {
        String approximate = ctx.attrs.string("approximate").orElse("none");
        ctx.produce("gelu", List.of(ctx.input(0)), Map.of("approximate", new Attr.Str(approximate)));
    }

    private static void cast(NodeContext ctx) {
        long to = ctx.attrs.intValue("to").orElseThrow(() -> ctx.fail("needs attribute 'to'"));
        DType target = OnnxDTypes.require((int) to, ctx.where + ": the cast target");
        ctx.produce("cast", List.of(ctx.input(0)), castAttrs(ctx, target));
    }

    /**
     * {@code to}, plus what ONNX asks beyond the defaults: {@code saturate = 0} (Cast-19: out-of-range
     * values become NaN or ±inf in 8-bit float targets instead of clamping) and {@code round_mode =
     * "down"} (Cast-25, float8e8m0 targets only).
     */
    static Map<String, Attr> castAttrs(NodeContext ctx, DType target) {
        Map<String, Attr> attrs = new java.util.TreeMap<>();
        attrs.put("to", new Attr.Type(target));
        long saturate = ctx.attrs.intValue("saturate", 1);
        if (saturate != 1) {
            attrs.put("saturate", new Attr.Int(saturate));
        }
        // Cast-25's round_mode only affects float8e8m0 targets; "up" is the default.
        String roundMode = ctx.attrs.string("round_mode").orElse("up");
        if (target == DType.F8E8M0 && roundMode.equals("down")) {
            attrs.put("round_mode", new Attr.Str(roundMode));
        } else if (target == DType.F8E8M0 && !roundMode.equals("up")) {
            throw ctx.fail("round_mode '" + roundMode + "' to float8e8m0 is not supported (up and down are)");
        }
        return attrs;
    }

    /** {@code LessOrEqual} → {@code less_or_equal}: ONNX op and attribute names in IR spelling. */
    static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }
}
