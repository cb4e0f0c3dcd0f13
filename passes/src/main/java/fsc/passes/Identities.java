package fsc.passes;

import fsc.ir.Attr;
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
 * x-0}) and a transpose of a transpose, which becomes one transpose or none. Each requires the result
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
            case "identity", "cast", "reshape", "expand", "squeeze", "unsqueeze" -> sameAs(n.input(0), out);
            case "transpose" -> transpose(n, definition);
            case "mul" -> neutral(n, constantData, 1, true);
            case "div" -> neutral(n, constantData, 1, false);
            case "add" -> neutral(n, constantData, 0, true);
            case "sub" -> neutral(n, constantData, 0, false);
            default -> Optional.empty();
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
