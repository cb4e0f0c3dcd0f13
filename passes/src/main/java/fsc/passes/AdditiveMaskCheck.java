package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Whether an additive attention mask (Hugging Face's 4-d causal mask, built from {@code
 * attention_mask} with Range, comparisons and Where) adds nothing for one new token whose whole
 * sequence is present, which is what paged attention computes. Such a mask is too varied across
 * exporter versions to match as a pattern, so it is evaluated: its nodes run alone in the reference
 * interpreter at several past lengths and at the past length's bound (the longest the jar allows),
 * on a batch of one whose mask inputs are all ones, and every element must be zero.
 */
final class AdditiveMaskCheck {
    /** Past lengths the mask is evaluated at (those within the past length's bound). */
    private static final long[] PAST_LENGTHS = {1, 2, 3, 7, 64};
    /** The past length's bound is evaluated too, up to this (a mask row of 1M elements). */
    private static final long MAX_EVALUATED_PAST = 1L << 20;

    private final Graph g;
    private final PatternGraph pg;

    AdditiveMaskCheck(Graph g, PatternGraph pg) {
        this.g = g;
        this.pg = pg;
    }

    /**
     * Null when {@code mask} adds zero for every tested past length; otherwise why not, as a phrase
     * for the refusal.
     */
    String whyNot(Value mask, Dim batch, Dim pastLength) {
        Set<Node> nodes = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Value> inputs = new java.util.LinkedHashSet<>();
        Set<Constant> constants = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> todo = new ArrayDeque<>(List.of(mask));
        while (!todo.isEmpty()) {
            Value v = todo.pop();
            if (g.constantOf(v) != null) {
                constants.add(g.constantOf(v));
                continue;
            }
            if (inputs.contains(v)) {
                continue;
            }
            if (g.inputs().contains(v)) {
                if (!(v.dtype().isInteger() || v.dtype() == DType.BOOL)
                        || v.type().rank() != 2) {
                    return "it reads " + v.name() + " " + v.type() + ", not an attention mask of token flags";
                }
                inputs.add(v);
                continue;
            }
            Node d = pg.def(v);
            if (d == null || d.hasRegions()) {
                return "it is computed by control flow or from a value the pass cannot trace";
            }
            if (nodes.add(d)) {
                todo.addAll(d.inputs());
            }
        }
        Graph alone = subgraph(mask, nodes, inputs, constants);
        String past = pastLength.asSymbol().orElseThrow();
        String rows = batch.asSymbol().orElseThrow();
        long bound = g.symbols().getOrDefault(past, Long.MAX_VALUE);
        java.util.TreeSet<Long> lengths = new java.util.TreeSet<>();
        for (long p : PAST_LENGTHS) {
            lengths.add(Math.min(p, bound));
        }
        // The longest past the jar allows too, so a window narrower than the context is caught.
        lengths.add(Math.min(bound, MAX_EVALUATED_PAST));
        for (long p : lengths) {
            Map<String, Long> binding = new TreeMap<>();
            g.symbols().keySet().forEach(s -> binding.put(s, 1L));
            binding.put(past, p);
            binding.put(rows, 1L);
            Map<String, HostTensor> feed = new LinkedHashMap<>();
            for (Value in : alone.inputs()) {
                long[] shape = in.type().dims().stream()
                        .mapToLong(d -> d.evaluate(binding))
                        .toArray();
                HostTensor ones = HostTensor.zeros(in.dtype(), shape);
                for (int i = 0; i < ones.size(); i++) {
                    ones.setDouble(i, 1);
                }
                feed.put(in.name(), ones);
            }
            HostTensor m = new Interpreter(alone).run(feed, binding).get(mask.name());
            for (int i = 0; i < m.size(); i++) {
                if (m.getDouble(i) != 0) {
                    return "at past length " + p + " it adds " + m.getDouble(i) + " to a score of a position in the"
                            + " sequence";
                }
            }
        }
        return null;
    }

    /** The mask's nodes as a graph of their own, reading the same inputs and constants. */
    private Graph subgraph(Value mask, Set<Node> nodes, Set<Value> inputs, Set<Constant> constants) {
        GraphBuilder b = new GraphBuilder(g.name() + ".mask");
        g.symbols().forEach(b::symbol);
        Map<Value, Value> map = new IdentityHashMap<>();
        for (Value in : inputs) {
            map.put(in, b.input(in.name(), in.type()));
        }
        for (Constant c : constants) {
            map.put(
                    c.value(),
                    b.constant(c.value().name(), c.weight(), g.weights().get(c.weight())));
        }
        for (Node n : g.nodes()) {
            if (nodes.contains(n)) {
                List<Value> in = n.inputs().stream().map(map::get).toList();
                List<String> names = n.outputs().stream().map(Value::name).toList();
                List<Value> outs = b.node(n.op(), n.name(), in, n.attrs(), names);
                for (int i = 0; i < outs.size(); i++) {
                    map.put(n.outputs().get(i), outs.get(i));
                }
            }
        }
        b.output(map.get(mask));
        return b.build();
    }
}
