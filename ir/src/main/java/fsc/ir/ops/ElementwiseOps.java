package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Element-wise ops: binary arithmetic, comparisons, logic, {@code where}, unary maps and {@code cast}. */
final class ElementwiseOps {
    private ElementwiseOps() {}

    static final List<String> ARITHMETIC = List.of("add", "sub", "mul", "div", "pow", "max", "min", "mod");
    static final List<String> COMPARISON = List.of("equal", "less", "less_or_equal", "greater", "greater_or_equal");
    static final List<String> LOGICAL = List.of("and", "or", "xor");
    static final List<String> BITWISE = List.of("bitwise_and", "bitwise_or", "bitwise_xor");
    /** ONNX BitShift split by direction; unsigned integers only, as ONNX defines it. */
    static final List<String> SHIFTS = List.of("bit_shift_left", "bit_shift_right");

    static final List<String> UNARY = Stream.concat(
                    Stream.of(
                            "neg",
                            "abs",
                            "sqrt",
                            "reciprocal",
                            "exp",
                            "log",
                            "erf",
                            "tanh",
                            "sigmoid",
                            "relu",
                            "floor",
                            "ceil",
                            "round",
                            "sign",
                            "not",
                            "identity",
                            "sin",
                            "cos"),
                    Ops.TRIG_AND_HYPERBOLIC.stream())
            .toList();

    /** Every two-input element-wise op with broadcasting: the interpreter's binary kernel's domain. */
    static final List<String> BINARY = Stream.of(ARITHMETIC, COMPARISON, LOGICAL, BITWISE, SHIFTS)
            .flatMap(List::stream)
            .toList();
    /** Every one-input op that maps each element on its own. */
    static final List<String> MAPS = Stream.concat(UNARY.stream(), Stream.of("bitwise_not", "gelu", "silu"))
            .toList();

    /** Element-wise ops that are neither a broadcasting binary nor a one-operand map. */
    static final List<String> OTHER_ELEMENTWISE = List.of("bitcast", "cast", "clip", "where");

    /** The definitions, each carrying its {@link OpTrait}s: the one place that says which ops are element-wise. */
    static List<OpDef> defs() {
        List<OpDef> defs = new ArrayList<>();
        for (OpSpec d : shapeRules()) {
            if (BINARY.contains(d.name())) {
                defs.add(d.with(OpTrait.ELEMENTWISE, OpTrait.BINARY));
            } else if (MAPS.contains(d.name())) {
                defs.add(d.with(OpTrait.ELEMENTWISE, OpTrait.UNARY_MAP));
            } else if (OTHER_ELEMENTWISE.contains(d.name())) {
                defs.add(d.with(OpTrait.ELEMENTWISE));
            } else {
                throw new IllegalStateException("element-wise op family: '" + d.name() + "' has no trait");
            }
        }
        return defs;
    }

    private static List<OpSpec> shapeRules() {
        List<OpSpec> defs = new ArrayList<>();
        for (String op : ARITHMETIC) {
            // pow takes its exponent in any numeric type (ONNX Pow-15); the result has the base's type.
            boolean sameType = !op.equals("pow");
            OpSpec d = OpSpec.fixed(
                    op, 2, ctx -> List.of(binary(ctx, sameType, ctx.input(0).dtype())));
            // fmod (ONNX Mod): 0 takes the divisor's sign (integers only), 1 the dividend's as C fmod.
            defs.add(op.equals("mod") ? d.attrs(AttrSpec.integer("fmod", 0)) : d);
        }
        for (String op : COMPARISON) {
            defs.add(OpSpec.fixed(op, 2, ctx -> List.of(binary(ctx, true, DType.BOOL))));
        }
        for (String op : LOGICAL) {
            defs.add(OpSpec.fixed(op, 2, ctx -> {
                requireBool(ctx, 0);
                requireBool(ctx, 1);
                return List.of(binary(ctx, true, DType.BOOL));
            }));
        }
        for (String op : BITWISE) {
            defs.add(OpSpec.fixed(op, 2, ctx -> {
                requireInteger(ctx, 0);
                return List.of(binary(ctx, true, ctx.input(0).dtype()));
            }));
        }
        defs.add(OpSpec.fixed("bitwise_not", 1, ctx -> {
            requireInteger(ctx, 0);
            return List.of(ctx.input(0));
        }));
        for (String op : SHIFTS) {
            defs.add(OpSpec.fixed(op, 2, ctx -> {
                requireUnsigned(ctx, 0);
                return List.of(binary(ctx, true, ctx.input(0).dtype()));
            }));
        }
        defs.add(OpSpec.fixed("bitcast", 1, ElementwiseOps::bitcast).attrs(AttrSpec.type("to")));
        for (String op : UNARY) {
            defs.add(OpSpec.fixed(op, 1, ctx -> {
                if (op.equals("not")) {
                    requireBool(ctx, 0);
                }
                return List.of(ctx.input(0));
            }));
        }
        defs.add(OpSpec.fixed("gelu", 1, ElementwiseOps::gelu).attrs(AttrSpec.string("approximate", "none")));
        defs.add(OpSpec.fixed("silu", 1, ElementwiseOps::floatUnary));
        // min/max: the folded bounds; absent (and no operand) means unbounded on that side.
        defs.add(new OpSpec("clip", 1, 3, ElementwiseOps::clip).attrs(AttrSpec.number("min"), AttrSpec.number("max")));
        defs.add(OpSpec.fixed("cast", 1, ctx -> {
                    if (!ctx.has("to")) {
                        throw ctx.fail("needs attribute 'to'");
                    }
                    return List.of(ctx.input(0).withDType(ctx.typeAttr("to")));
                })
                // ONNX Cast-25: saturate (float8 targets) and round_mode ("up" or "down", to float8e8m0).
                .attrs(AttrSpec.type("to"), AttrSpec.integer("saturate", 1), AttrSpec.string("round_mode", "up")));
        defs.add(OpSpec.fixed("where", 3, ElementwiseOps::where));
        return defs;
    }

    static TensorType binary(InferContext ctx, boolean sameType, DType result) {
        TensorType a = ctx.input(0);
        TensorType b = ctx.input(1);
        if (sameType && a.dtype() != b.dtype()) {
            throw ctx.fail("operand types differ: " + a + " and " + b);
        }
        return new TensorType(result, broadcast(ctx, a.dims(), b.dims()));
    }

    static List<Dim> broadcast(InferContext ctx, List<Dim> a, List<Dim> b) {
        return Shapes.broadcast(a, b)
                .orElseThrow(
                        () -> ctx.fail("shapes " + Shapes.show(a) + " and " + Shapes.show(b) + " do not broadcast"));
    }

    private static void requireBool(InferContext ctx, int i) {
        if (ctx.input(i).dtype() != DType.BOOL) {
            throw ctx.fail("input " + i + " must be bool, got " + ctx.input(i));
        }
    }

    private static void requireInteger(InferContext ctx, int i) {
        if (!ctx.input(i).dtype().isInteger()) {
            throw ctx.fail("input " + i + " must be an integer tensor, got " + ctx.input(i));
        }
    }

    private static void requireUnsigned(InferContext ctx, int i) {
        DType t = ctx.input(i).dtype();
        if (t != DType.U8 && t != DType.U16 && t != DType.U32 && t != DType.U64) {
            throw ctx.fail("input " + i + " must be u8, u16, u32 or u64, got " + ctx.input(i));
        }
    }

    /**
     * {@code bitcast(x)} to type {@code to} (ONNX BitCast-26): each element's bits read as {@code to},
     * so both types must have one element of the same byte size (no packed or block types).
     */
    private static List<TensorType> bitcast(InferContext ctx) {
        if (!ctx.has("to")) {
            throw ctx.fail("needs attribute 'to'");
        }
        DType from = ctx.input(0).dtype();
        DType to = ctx.typeAttr("to");
        if (from.blockSize() != 1 || to.blockSize() != 1 || from.blockBytes() != to.blockBytes()) {
            throw ctx.fail("cannot reinterpret " + from.irName() + " as " + to.irName()
                    + ": both must be whole-byte element types of the same size");
        }
        return List.of(ctx.input(0).withDType(to));
    }

    private static List<TensorType> gelu(InferContext ctx) {
        String approximate = ctx.strAttr("approximate");
        if (!approximate.equals("none") && !approximate.equals("tanh")) {
            throw ctx.fail("approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
        }
        if (!ctx.input(0).dtype().isFloat()) {
            throw ctx.fail("needs a floating-point input, got " + ctx.input(0));
        }
        return List.of(ctx.input(0));
    }

    private static List<TensorType> floatUnary(InferContext ctx) {
        if (!ctx.input(0).dtype().isFloat()) {
            throw ctx.fail("needs a floating-point input, got " + ctx.input(0));
        }
        return List.of(ctx.input(0));
    }

    /** {@code clip(x[, min[, max]])}: bounds are scalar operands, or attributes {@code min}/{@code max} when folded. */
    private static List<TensorType> clip(InferContext ctx) {
        TensorType x = ctx.input(0);
        for (int i = 1; i < ctx.inputCount(); i++) {
            TensorType b = ctx.input(i);
            if (b.dtype() != x.dtype() || b.rank() != 0) {
                throw ctx.fail("bound " + i + " must be a " + x.dtype().irName() + " scalar, got " + b);
            }
        }
        return List.of(x);
    }

    private static List<TensorType> where(InferContext ctx) {
        requireBool(ctx, 0);
        TensorType x = ctx.input(1);
        TensorType y = ctx.input(2);
        if (x.dtype() != y.dtype()) {
            throw ctx.fail("branch types differ: " + x + " and " + y);
        }
        List<Dim> dims = broadcast(ctx, broadcast(ctx, ctx.input(0).dims(), x.dims()), y.dims());
        return List.of(new TensorType(x.dtype(), dims));
    }
}
