package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A read-only index of a graph for pattern matching: who defines a value, how many nodes read it,
 * and the number held by a one-element constant. Recognizers walk from an anchor node up through
 * {@link #def} and ask {@link #scalar} for the literal operands ({@code 2}, {@code 0.5},
 * {@code sqrt(2)}). Keyed by identity; never iterated, so it cannot leak hash order into output.
 */
final class PatternGraph {
    private final Graph graph;
    private final Map<Value, Node> producers = new IdentityHashMap<>();
    private final Map<Value, Constant> constants = new IdentityHashMap<>();

    PatternGraph(Graph graph) {
        this.graph = graph;
        for (Node n : graph.nodes()) {
            for (Value out : n.outputs()) {
                producers.put(out, n);
            }
        }
        for (Constant c : graph.constants()) {
            constants.put(c.value(), c);
        }
    }

    /** The node defining {@code v} when it has op {@code op} and one output, else null. */
    Node def(Value v, String op) {
        Node n = producers.get(v);
        return n != null && n.op().equals(op) && n.outputs().size() == 1 ? n : null;
    }

    /** The node defining {@code v}, or null for graph inputs and constants. */
    Node def(Value v) {
        return producers.get(v);
    }

    /**
     * The number held by {@code v} when it is a floating-point constant with exactly one element (of
     * any rank: exports write {@code 2.0} as {@code f32[]} or {@code f32[1]}), else null.
     */
    Double scalar(Value v) {
        Constant c = constants.get(v);
        if (c == null) {
            return null;
        }
        WeightData w = graph.weights().get(c.weight());
        if (w.elementCount() != 1) {
            return null;
        }
        ByteBuffer b = w.view();
        return switch (w.dtype()) {
            case F32 -> (double) b.getFloat(0);
            case F64 -> b.getDouble(0);
            case F16 -> (double) Float.float16ToFloat(b.getShort(0));
            default -> null;
        };
    }

    /** Whether {@code v} is a one-element constant equal to {@code expected} within {@code rel} relative error. */
    boolean isScalar(Value v, double expected, double rel) {
        Double s = scalar(v);
        return s != null && Math.abs(s - expected) <= rel * Math.abs(expected);
    }

    static boolean isFloat(Value v) {
        return v.dtype() == DType.F32 || v.dtype() == DType.F64 || v.dtype() == DType.F16;
    }

    /**
     * The operands of a commutative binary node as (the one matching {@code first}, the other), or
     * null when neither operand does: {@code mul(x, 0.5)} and {@code mul(0.5, x)} match alike.
     */
    static Value[] either(Node n, java.util.function.Predicate<Value> first) {
        List<Value> in = n.inputs();
        if (in.size() != 2) {
            return null;
        }
        if (first.test(in.get(0))) {
            return new Value[] {in.get(0), in.get(1)};
        }
        if (first.test(in.get(1))) {
            return new Value[] {in.get(1), in.get(0)};
        }
        return null;
    }
}
