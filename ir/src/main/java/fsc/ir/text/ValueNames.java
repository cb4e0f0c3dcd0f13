package fsc.ir.text;

import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Unique printable names for a graph's values, derived from their hint names: characters outside
 * {@code [A-Za-z0-9_.]} become {@code _} (runs collapsed, leading/trailing ones dropped), an empty
 * result becomes {@code v}, and a taken name gets the first free suffix {@code _1}, {@code _2}, ...
 * Names are assigned in definition order (inputs, constants, node outputs; a fused node's outputs,
 * then its body's parameters and body values), so the result depends only on the graph. Names are
 * unique across the whole graph, bodies included.
 */
public final class ValueNames {
    private final Map<Value, String> names = new IdentityHashMap<>();
    private final Set<String> taken = new HashSet<>();

    public ValueNames(Graph g) {
        g.inputs().forEach(this::assign);
        g.constants().forEach(c -> assign(c.value()));
        assignNodes(g.nodes());
    }

    private void assignNodes(List<Node> nodes) {
        for (Node n : nodes) {
            n.outputs().forEach(this::assign);
            if (n.body() != null) {
                n.body().params().forEach(this::assign);
                assignNodes(n.body().nodes());
            }
            for (fsc.ir.Region r : n.regions()) {
                r.params().forEach(this::assign);
                assignNodes(r.nodes());
            }
        }
    }

    /** The printed name of {@code v} without the {@code %}; values not defined in the graph get one on first use. */
    public String of(Value v) {
        String n = names.get(v);
        return n != null ? n : assign(v);
    }

    private String assign(Value v) {
        String existing = names.get(v);
        if (existing != null) {
            return existing;
        }
        String base = sanitize(v.name());
        String name = base;
        for (int k = 1; !taken.add(name); k++) {
            name = base + "_" + k;
        }
        names.put(v, name);
        return name;
    }

    static String sanitize(String hint) {
        String s = hint.replaceAll("[^A-Za-z0-9_.]+", "_").replaceAll("^_+|_+$", "");
        return s.isEmpty() ? "v" : s;
    }
}
