package fsc.cli.pictures;

import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The graph in Graphviz DOT: one box per node (op, provenance name, output type), one ellipse per
 * graph input and output, an edge per value read, labelled with its type. Constants are left out
 * (a transformer has hundreds) and counted in each node's label instead. Node ids are indices, so
 * the text is the same for the same graph.
 */
public final class GraphDot {
    private GraphDot() {}

    public static String render(Graph g) {
        StringBuilder s = new StringBuilder("digraph \"" + esc(g.name()) + "\" {\n");
        s.append("  rankdir=TB; node [fontname=\"sans-serif\", fontsize=10]; edge [fontsize=8];\n");
        Map<Value, String> defs = new IdentityHashMap<>();
        for (int i = 0; i < g.inputs().size(); i++) {
            Value v = g.inputs().get(i);
            String id = "in" + i;
            defs.put(v, id);
            s.append("  ")
                    .append(id)
                    .append(" [shape=ellipse, label=\"")
                    .append(esc(v.toString()))
                    .append("\"];\n");
        }
        java.util.Set<Value> constants = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        g.constants().forEach(c -> constants.add(c.value()));
        for (int i = 0; i < g.nodes().size(); i++) {
            Node n = g.nodes().get(i);
            String id = "n" + i;
            long consts = n.inputs().stream().filter(constants::contains).count();
            StringBuilder label = new StringBuilder(n.op());
            if (n.isFused()) {
                label.append(" @").append(n.fusedKind());
            }
            if (!n.name().isEmpty()) {
                label.append("\\n").append(esc(n.name()));
            }
            for (Value out : n.outputs()) {
                label.append("\\n").append(esc(out.type().toString()));
                defs.put(out, id);
            }
            if (consts > 0) {
                label.append("\\n+").append(consts).append(consts == 1 ? " constant" : " constants");
            }
            s.append("  ")
                    .append(id)
                    .append(" [shape=box, label=\"")
                    .append(label)
                    .append("\"];\n");
            for (Value in : n.inputs()) {
                String from = defs.get(in);
                if (from != null) {
                    s.append("  ")
                            .append(from)
                            .append(" -> ")
                            .append(id)
                            .append(" [label=\"")
                            .append(esc(in.type().toString()))
                            .append("\"];\n");
                }
            }
        }
        for (int i = 0; i < g.outputs().size(); i++) {
            Value v = g.outputs().get(i);
            String id = "out" + i;
            s.append("  ")
                    .append(id)
                    .append(" [shape=ellipse, label=\"")
                    .append(esc(v.toString()))
                    .append("\"];\n");
            String from = defs.get(v);
            if (from != null) {
                s.append("  ").append(from).append(" -> ").append(id).append(";\n");
            }
        }
        return s.append("}\n").toString();
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
