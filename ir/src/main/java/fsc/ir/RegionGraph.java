package fsc.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * A control-flow region as a standalone {@link Graph}, and back. Because a region reads only its
 * parameters ({@link ControlFlow}), it <em>is</em> a graph: parameters become inputs, results
 * outputs. Passes run on the lifted graph exactly as on a top-level one (so fold, cse and dce need
 * no region logic), and the Java backend compiles it as a class of its own.
 *
 * <p>{@link #lift} with {@code inlineConstants} turns a captured parameter whose operand is an outer
 * constant into a constant of the lifted graph (the same weight, the same {@link Value}), so passes
 * inside see its contents (a reshape's target, a scalar to fold). {@link #lower} undoes it: those
 * constants become captured parameters again, and a constant a pass created inside (a folded
 * value) is hoisted into the outer graph and captured as a new operand.
 */
public final class RegionGraph {
    private RegionGraph() {}

    /** Region {@code r} of node {@code n} (in {@code outer}) as a graph named {@code name}. */
    public static Graph lift(Graph outer, Node n, int r, String name, boolean inlineConstants) {
        Region region = n.regions().get(r);
        List<Value> inputs = new ArrayList<>();
        List<Constant> constants = new ArrayList<>();
        TreeMap<String, WeightData> weights = new TreeMap<>();
        for (int p = 0; p < region.params().size(); p++) {
            Value param = region.params().get(p);
            int captured = ControlFlow.capturedInput(n, p);
            Constant c = inlineConstants && captured >= 0 ? outer.constantOf(n.input(captured)) : null;
            if (c != null && param.type().equals(c.value().type())) {
                constants.add(new Constant(param, c.weight()));
                weights.put(c.weight(), outer.weights().get(c.weight()));
            } else {
                inputs.add(param);
            }
        }
        return new Graph(
                name,
                inputs,
                region.results(),
                constants,
                region.nodes(),
                outer.symbols(),
                new Weights(weights),
                new TreeMap<>());
    }

    /** The lowered node and the outer graph's constants and weights, grown by any hoisted constant. */
    public record Lowered(Node node, List<Constant> constants, Weights weights) {}

    /**
     * Node {@code n} of {@code outer} with its regions replaced by {@code lifted} (one graph per
     * region, each from {@link #lift} and then rewritten). Parameters keep their positions; every
     * constant of a lifted graph becomes a captured parameter.
     */
    public static Lowered lower(Graph outer, Node n, List<Graph> lifted) {
        int firstCapture = ControlFlow.firstCapture(n);
        int firstParam = ControlFlow.firstCaptureParam(n);
        List<Value> inputs = new ArrayList<>(n.inputs());
        List<Constant> constants = new ArrayList<>(outer.constants());
        TreeMap<String, WeightData> weights = new TreeMap<>(outer.weights().byName());
        // Per region: the parameters in op order, then one list of hoisted constants appended to all.
        List<List<Value>> params = new ArrayList<>();
        List<List<Value>> hoisted = new ArrayList<>();
        for (int r = 0; r < lifted.size(); r++) {
            Region old = n.regions().get(r);
            Graph g = lifted.get(r);
            Set<Value> original = Collections.newSetFromMap(new IdentityHashMap<>());
            original.addAll(old.params());
            List<Value> ps = new ArrayList<>(old.params());
            List<Value> extra = new ArrayList<>();
            for (Constant c : g.constants()) {
                if (original.contains(c.value())) {
                    continue; // a captured constant inlined by lift: a parameter again
                }
                WeightData w = g.weights().get(c.weight());
                String weight = c.weight();
                for (int k = 2; weights.containsKey(weight) && weights.get(weight) != w; k++) {
                    weight = c.weight() + "#" + k;
                }
                weights.put(weight, w);
                Value outerValue = new Value(c.value().name(), c.value().type());
                constants.add(new Constant(outerValue, weight));
                inputs.add(outerValue);
                extra.add(c.value());
            }
            if (!g.inputs().stream().allMatch(original::contains)) {
                throw new IllegalStateException(n.where() + ": a pass changed the inputs of region " + r);
            }
            params.add(ps);
            hoisted.add(extra);
        }
        List<Region> regions = new ArrayList<>();
        for (int r = 0; r < lifted.size(); r++) {
            List<Value> ps = new ArrayList<>(params.get(r));
            for (int s = 0; s < lifted.size(); s++) {
                for (Value h : hoisted.get(s)) {
                    ps.add(s == r ? h : new Value(h.name(), h.type()));
                }
            }
            Graph g = lifted.get(r);
            regions.add(new Region(ps, g.nodes(), g.outputs()));
        }
        if (inputs.size() - firstCapture != regions.getFirst().params().size() - firstParam) {
            throw new IllegalStateException(n.where() + ": captured operands and parameters disagree after lowering");
        }
        Node lowered = new Node(n.op(), n.name(), inputs, n.outputs(), n.attrs(), null, regions);
        return new Lowered(lowered, constants, new Weights(weights));
    }

    /** Whether any node of {@code nodes} owns regions. */
    public static boolean hasRegions(List<Node> nodes) {
        return nodes.stream().anyMatch(Node::hasRegions);
    }
}
