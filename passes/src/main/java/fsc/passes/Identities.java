package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Algebraic identities that hold exactly, for every input: nodes that return their operand
 * unchanged ({@code identity}, {@code cast} to its own type, reshape/expand/squeeze/unsqueeze to the
 * same type, transpose by the identity permutation, {@code x*1}, {@code x/1}, {@code x+0}, {@code
 * x-0}), a transpose of a transpose, which becomes one transpose or none, and an f32 → i32 → f32
 * cast round trip of a value proven integral and bounded (the integer conv and matmul lowerings'). Each requires the result
 * type to equal the operand's, so broadcasting that grows a shape or promotes a type is never lost.
 * {@code x+0} turns {@code -0.0} into {@code 0.0}, which compares equal, and that is the only change.
 */
final class Identities {
    private Identities() {}

    /** What a node simplifies to. */
    sealed interface Result {
        /** Every use of the node's output can read {@code value} instead. */
        record SameAs(Value value) implements Result {}

        /** The node can be replaced by a cheaper one with the same outputs. */
        record Rewritten(Node node) implements Result {}
    }

    /**
     * @param constantData the weight behind a constant value, or null for other values
     * @param definition the node defining a value, or null for inputs and constants
     */
    static Optional<Result> simplify(
            Node n, Function<Value, WeightData> constantData, Function<Value, Node> definition) {
        if (n.outputs().size() != 1) {
            return Optional.empty();
        }
        TensorType out = n.output().type();
        return switch (n.op()) {
            case "identity", "reshape", "expand", "squeeze", "unsqueeze" -> sameAs(n.input(0), out);
            case "cast" -> sameAs(n.input(0), out).or(() -> integerRoundTrip(n, constantData, definition));
            case "transpose" -> transpose(n, definition);
            case "mul" -> neutral(n, constantData, 1, true);
            case "div" -> neutral(n, constantData, 1, false);
            case "add" -> neutral(n, constantData, 0, true);
            case "sub" -> neutral(n, constantData, 0, false);
            default -> Optional.empty();
        };
    }

    /**
     * Below this bound on |v| an integral f32 {@code v} survives {@code cast(cast(v, i32), f32)}
     * unchanged: the first cast is exact (no saturation) and the second gives back the float it came
     * from. Half of 2^31, for the rounding of the sums the bound is taken over.
     */
    private static final double ROUND_TRIP_BOUND = 0x1p30;

    /**
     * {@code cast(cast(v: f32 → i32) → f32)} is {@code v} when every element of v is an integer below
     * {@link #ROUND_TRIP_BOUND}, which {@link #integralBound} proves from how v is computed: the
     * ConvInteger and MatMulInteger lowerings' f32 product of zero-point-centred integers, whose i32
     * result the model casts straight back to f32 for its scales (ISNet quint8: two passes over every
     * conv output, 119 of them).
     */
    private static Optional<Result> integerRoundTrip(
            Node n, Function<Value, WeightData> constantData, Function<Value, Node> definition) {
        Value mid = n.input(0);
        if (n.output().dtype() != DType.F32 || mid.dtype() != DType.I32) {
            return Optional.empty();
        }
        Node inner = definition.apply(mid);
        if (inner == null || !inner.op().equals("cast")) {
            return Optional.empty();
        }
        Value v = inner.input(0);
        if (!v.type().equals(n.output().type())) {
            return Optional.empty();
        }
        double bound = integralBound(v, constantData, definition, 8);
        return bound >= 0 && bound < ROUND_TRIP_BOUND ? Optional.of(new Result.SameAs(v)) : Optional.empty();
    }

    /**
     * A bound on |v| when every element of the f32 value v is provably an integer, else -1: an f32
     * constant of integers, a cast from an 8- or 16-bit integer type, a sum or difference of such
     * values, or a bias-free {@code conv} or {@code matmul} of two (a float sum of integers rounds to
     * an integer; the bound is the exact sum's, which {@link #ROUND_TRIP_BOUND}'s margin covers).
     */
    static double integralBound(
            Value v, Function<Value, WeightData> constantData, Function<Value, Node> definition, int depth) {
        if (v.dtype() != DType.F32 || depth == 0) {
            return -1;
        }
        WeightData c = constantData.apply(v);
        if (c != null) {
            return WeightValues.integralMaxAbs(c);
        }
        Node d = definition.apply(v);
        if (d == null) {
            return -1;
        }
        return switch (d.op()) {
            case "cast" ->
                switch (d.input(0).dtype()) {
                    case U8 -> 255;
                    case I8 -> 128;
                    case U16 -> 65535;
                    case I16 -> 32768;
                    default -> -1;
                };
            case "add", "sub" -> {
                double a = integralBound(d.input(0), constantData, definition, depth - 1);
                double b = integralBound(d.input(1), constantData, definition, depth - 1);
                yield a < 0 || b < 0 ? -1 : a + b;
            }
            case "conv", "matmul" -> {
                if (d.inputs().size() != 2
                        || !d.input(1).type().isStatic()
                        || !d.input(0).type().isStatic()) {
                    yield -1;
                }
                List<Dim> w = d.input(1).type().dims();
                // Terms per output: conv sums C/g · kernel over its weights' trailing axes, matmul
                // its left operand's last axis.
                double terms = 1;
                if (d.op().equals("conv")) {
                    for (Dim dim : w.subList(1, w.size())) {
                        terms *= dim.value();
                    }
                } else {
                    List<Dim> x = d.input(0).type().dims();
                    terms = x.get(x.size() - 1).value();
                }
                double a = integralBound(d.input(0), constantData, definition, depth - 1);
                double b = integralBound(d.input(1), constantData, definition, depth - 1);
                yield a < 0 || b < 0 ? -1 : terms * a * b;
            }
            default -> -1;
        };
    }

    private static Optional<Result> sameAs(Value operand, TensorType out) {
        return operand.type().equals(out) ? Optional.of(new Result.SameAs(operand)) : Optional.empty();
    }

    /**
     * {@code x op c} where every element of the constant {@code c} is the neutral element; with
     * {@code commutes}, also {@code c op x}.
     */
    private static Optional<Result> neutral(
            Node n, Function<Value, WeightData> constantData, double neutral, boolean commutes) {
        TensorType out = n.output().type();
        for (int side = 0; side < (commutes ? 2 : 1); side++) {
            Value x = n.input(side);
            WeightData c = constantData.apply(n.input(1 - side));
            if (c != null && x.type().equals(out) && WeightValues.allEqual(c, neutral)) {
                return Optional.of(new Result.SameAs(x));
            }
        }
        return Optional.empty();
    }

    /**
     * {@code transpose(transpose(x, p1), p2)} reads {@code x} at {@code p1[p2[i]]}: one transpose by
     * that composition, or {@code x} when it is the identity. The inner transpose stays for its
     * other users; {@code dce} removes it when there are none.
     */
    private static Optional<Result> transpose(Node n, Function<Value, Node> definition) {
        int[] outer = perm(n);
        if (isIdentity(outer)) {
            return Optional.of(new Result.SameAs(n.input(0)));
        }
        Node inner = definition.apply(n.input(0));
        if (inner == null || !inner.op().equals("transpose")) {
            return Optional.empty();
        }
        int[] first = perm(inner);
        long[] composed = new long[outer.length];
        for (int i = 0; i < outer.length; i++) {
            composed[i] = first[outer[i]];
        }
        Value x = inner.input(0);
        if (isIdentity(composed)) {
            return Optional.of(new Result.SameAs(x));
        }
        TreeMap<String, Attr> attrs = new TreeMap<>(n.attrs());
        attrs.put("perm", Attr.ints(composed));
        return Optional.of(new Result.Rewritten(new Node(n.op(), n.name(), List.of(x), n.outputs(), attrs)));
    }

    /** The permutation of a transpose node (reversed axes when absent), non-negative. */
    private static int[] perm(Node n) {
        int rank = n.input(0).type().rank();
        long[] p = n.intsAttr("perm");
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            long a = p == null ? rank - 1 - i : p[i];
            out[i] = (int) (a < 0 ? a + rank : a);
        }
        return out;
    }

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }

    private static boolean isIdentity(long[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }
}
