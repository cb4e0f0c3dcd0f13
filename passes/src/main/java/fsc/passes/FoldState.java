package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.ops.KnownValues;
import fsc.ir.ops.ShapeValues;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link FoldPass} knows while it walks the nodes: every constant (the graph's and those it
 * made), the contents of small integer values, the replacements it decided, and the node defining
 * each emitted value. The identity maps are only looked up, never iterated.
 */
final class FoldState {
    private final Graph graph;
    private final Map<Value, WeightData> constantData = new IdentityHashMap<>();
    private final Map<Value, Node> definitions = new IdentityHashMap<>();
    private final List<Constant> constants = new ArrayList<>();
    private final TreeMap<String, WeightData> newWeights = new TreeMap<>();
    final KnownValues known = new KnownValues();
    final Substitution subst = new Substitution();

    FoldState(Graph graph) {
        this.graph = graph;
        for (Constant c : graph.constants()) {
            WeightData w = graph.weights().get(c.weight());
            constants.add(c);
            constantData.put(c.value(), w);
            ShapeValues.fromWeight(w).ifPresent(k -> known.put(c.value(), k));
        }
    }

    /** The weight behind {@code v} when it is a constant, else null. */
    WeightData constantData(Value v) {
        return constantData.get(v);
    }

    boolean isConstant(Value v) {
        return constantData.containsKey(v);
    }

    /** The emitted node defining {@code v}, or null for inputs and constants. */
    Node definition(Value v) {
        return definitions.get(v);
    }

    void emitted(Node n) {
        for (Value v : n.outputs()) {
            definitions.put(v, n);
        }
    }

    /**
     * Makes {@code v} (so far a node output) a constant holding {@code data}, stored as weight
     * {@code fold.<value name>}, or {@code fold.<value name>.N} when that name is taken. The value
     * object is kept, so users and graph outputs need no rewiring.
     */
    void makeConstant(Value v, WeightData data) {
        if (!data.type().equals(v.type())) {
            throw new IllegalStateException("fold computed " + data.type() + " for " + v);
        }
        String base = "fold." + v.name();
        String name = base;
        for (int k = 1; graph.weights().contains(name) || newWeights.containsKey(name); k++) {
            name = base + "." + k;
        }
        newWeights.put(name, data);
        constants.add(new Constant(v, name));
        constantData.put(v, data);
        ShapeValues.fromWeight(data).ifPresent(k -> known.put(v, k));
    }

    int newConstantCount() {
        return newWeights.size();
    }

    Graph build(List<Node> nodes) {
        List<Value> outputs = subst.resolve(graph.outputs());
        return graph.withBody(constants, nodes, outputs, graph.weights().with(newWeights));
    }
}
