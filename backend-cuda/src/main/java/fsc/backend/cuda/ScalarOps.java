package fsc.backend.cuda;

import fsc.ir.DType;
import fsc.ir.Node;
import java.util.List;
import java.util.Set;

/**
 * The scalar C expression of each elementwise op, over operands already widened to their compute
 * type (see {@link CudaLanguage#compute}). Semantics follow the reference interpreter: integer
 * {@code div} truncates, {@code mod} follows the divisor's sign unless {@code fmod = 1}, exact GELU
 * uses erf.
 */
final class ScalarOps {
    private ScalarOps() {}

    static final Set<String> UNARY = Set.of(
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
            "cos",
            "gelu",
            "silu",
            "cast",
            "clip");

    static final Set<String> BINARY = Set.of(
            "add",
            "sub",
            "mul",
            "div",
            "pow",
            "max",
            "min",
            "mod",
            "equal",
            "less",
            "less_or_equal",
            "greater",
            "greater_or_equal",
            "and",
            "or",
            "xor");

    static boolean isElementwise(String op) {
        return UNARY.contains(op) || BINARY.contains(op) || op.equals("where");
    }

    /**
     * The expression computing {@code n}'s result from {@code args} (compute-type expressions);
     * {@code in} is the first operand's dtype, which decides integer vs float semantics.
     */
    static String expr(CudaLanguage lang, Node n, DType in, List<String> args) {
        String a = args.isEmpty() ? "" : args.get(0);
        String b = args.size() > 1 ? args.get(1) : "";
        boolean fp = in.isFloat();
        String ct = lang.compute(in);
        return switch (n.op()) {
            case "add" -> "(" + a + " + " + b + ")";
            case "sub" -> "(" + a + " - " + b + ")";
            case "mul" -> "(" + a + " * " + b + ")";
            case "div" -> fp ? "(" + a + " / " + b + ")" : "(" + b + " == 0 ? 0 : " + a + " / " + b + ")";
            case "pow" ->
                fp
                        ? lang.math("pow", in) + "(" + a + ", " + b + ")"
                        : "(" + ct + ")pow((double)" + a + ", (double)" + b + ")";
            case "max" -> "(" + a + " > " + b + " ? " + a + " : " + b + ")";
            case "min" -> "(" + a + " < " + b + " ? " + a + " : " + b + ")";
            case "mod" -> mod(lang, n, in, a, b);
            case "equal" -> "(" + a + " == " + b + ")";
            case "less" -> "(" + a + " < " + b + ")";
            case "less_or_equal" -> "(" + a + " <= " + b + ")";
            case "greater" -> "(" + a + " > " + b + ")";
            case "greater_or_equal" -> "(" + a + " >= " + b + ")";
            case "and" -> "(" + a + " && " + b + ")";
            case "or" -> "(" + a + " || " + b + ")";
            case "xor" -> "((" + a + " != 0) != (" + b + " != 0))";
            case "where" -> "(" + a + " ? " + b + " : " + args.get(2) + ")";
            case "neg" -> "(-" + a + ")";
            case "abs" -> "(" + a + " < 0 ? -" + a + " : " + a + ")";
            case "sqrt", "exp", "log", "erf", "tanh", "floor", "ceil", "sin", "cos" ->
                lang.math(n.op(), in) + "(" + a + ")";
            case "round" -> lang.math("rint", in) + "(" + a + ")";
            case "reciprocal" -> "(1 / " + a + ")";
            case "sigmoid" -> "(1 / (1 + " + lang.math("exp", in) + "(-" + a + ")))";
            case "silu" -> "(" + a + " / (1 + " + lang.math("exp", in) + "(-" + a + ")))";
            case "relu" -> "(" + a + " > 0 ? " + a + " : 0)";
            case "sign" -> "((" + a + " > 0) - (" + a + " < 0))";
            case "not" -> "(!" + a + ")";
            case "identity", "cast" -> a;
            case "gelu" -> gelu(lang, n, in, a);
            case "clip" -> clip(n, a);
            default -> throw new IllegalStateException("backend-cuda: no scalar form for op " + n.op());
        };
    }

    private static String mod(CudaLanguage lang, Node n, DType in, String a, String b) {
        if (in.isFloat() || n.intAttr("fmod") == 1) {
            return in.isFloat() ? lang.math("fmod", in) + "(" + a + ", " + b + ")" : "(" + a + " % " + b + ")";
        }
        // Python-style: the result takes the divisor's sign (ONNX Mod with fmod = 0).
        return "(" + b + " == 0 ? 0 : ((" + a + " % " + b + ") + " + b + ") % " + b + ")";
    }

    private static String gelu(CudaLanguage lang, Node n, DType in, String a) {
        if (n.strAttr("approximate").equals("tanh")) {
            return "(0.5f * " + a + " * (1 + " + lang.math("tanh", in) + "(0.7978845608028654f * (" + a
                    + " + 0.044715f * " + a + " * " + a + " * " + a + "))))";
        }
        return "(0.5f * " + a + " * (1 + " + lang.math("erf", in) + "(" + a + " * 0.7071067811865476f)))";
    }

    private static String clip(Node n, String a) {
        String e = a;
        if (n.has("min")) {
            e = "fmaxf(" + e + ", " + floatLit(n.floatAttr("min")) + ")";
        }
        if (n.has("max")) {
            e = "fminf(" + e + ", " + floatLit(n.floatAttr("max")) + ")";
        }
        return e;
    }

    /** A float literal C reads back exactly (hex-free, round-trip decimal; infinities spelled out). */
    static String floatLit(double v) {
        if (Double.isNaN(v)) {
            return "__int_as_float(0x7fc00000)";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "__int_as_float(0x7f800000)" : "__int_as_float(0xff800000)";
        }
        return Float.toString((float) v) + "f";
    }
}
