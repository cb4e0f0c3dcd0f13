package fsc.ir;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A model as an SSA graph. Immutable: passes build a new graph. {@code nodes} are in a valid
 * execution order. {@code symbols} maps every symbolic dimension name to its upper bound (used by
 * memory planning and checked at run time). {@code metadata} carries provenance such as the source
 * file and its sha256 (sorted, so output stays deterministic). {@code plan} is the memory plan
 * recorded by {@code plan-memory}, or null; the {@code with...} methods that replace nodes, outputs
 * or constants drop it, because its slots name the old values and its liveness the old order.
 */
public record Graph(
        String name,
        List<Value> inputs,
        List<Value> outputs,
        List<Constant> constants,
        List<Node> nodes,
        SortedMap<String, Long> symbols,
        Weights weights,
        SortedMap<String, String> metadata,
        MemoryPlan plan) {

    public Graph {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        constants = List.copyOf(constants);
        nodes = List.copyOf(nodes);
        symbols = Collections.unmodifiableSortedMap(new TreeMap<>(symbols));
        metadata = Collections.unmodifiableSortedMap(new TreeMap<>(metadata));
    }

    /** A graph without a memory plan. */
    public Graph(
            String name,
            List<Value> inputs,
            List<Value> outputs,
            List<Constant> constants,
            List<Node> nodes,
            SortedMap<String, Long> symbols,
            Weights weights,
            SortedMap<String, String> metadata) {
        this(name, inputs, outputs, constants, nodes, symbols, weights, metadata, null);
    }

    /** The same graph with {@code newPlan} (null removes the plan). */
    public Graph withPlan(MemoryPlan newPlan) {
        return new Graph(name, inputs, outputs, constants, nodes, symbols, weights, metadata, newPlan);
    }

    public Graph withNodes(List<Node> newNodes) {
        return new Graph(name, inputs, outputs, constants, newNodes, symbols, weights, metadata);
    }

    public Graph withBody(
            List<Constant> newConstants, List<Node> newNodes, List<Value> newOutputs, Weights newWeights) {
        return new Graph(name, inputs, newOutputs, newConstants, newNodes, symbols, newWeights, metadata);
    }

    public Graph withMetadata(Map<String, String> extra) {
        TreeMap<String, String> m = new TreeMap<>(metadata);
        m.putAll(extra);
        return new Graph(name, inputs, outputs, constants, nodes, symbols, weights, m, plan);
    }

    /** The constant defining {@code v}, or null when {@code v} is not a constant. */
    public Constant constantOf(Value v) {
        for (Constant c : constants) {
            if (c.value() == v) {
                return c;
            }
        }
        return null;
    }
}
