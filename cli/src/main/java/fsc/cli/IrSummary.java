package fsc.cli;

import fsc.ir.Attr;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code fsc inspect} prints for an {@code .fsir} dump, in the shape it prints for an ONNX model:
 * the file, its weights, inputs, outputs and a count of nodes per op (fused nodes by their kind).
 */
final class IrSummary {
    private IrSummary() {}

    static String render(Path file, Graph g) {
        StringBuilder sb = new StringBuilder();
        sb.append(file).append('\n');
        sb.append("  fsc IR graph @").append(g.name()).append('\n');
        long params = 0;
        long bytes = 0;
        for (var c : g.constants()) {
            WeightData w = g.weights().get(c.weight());
            params += w.elementCount();
            bytes += w.view().remaining();
        }
        sb.append(String.format(Locale.ROOT, "  parameters: %,d (%,d bytes)%n", params, bytes));
        if (g.plan() != null) {
            sb.append(String.format(
                    Locale.ROOT, "  memory plan: arena %,d bytes%n", g.plan().arenaBytes()));
        }
        sb.append("inputs:\n");
        for (Value v : g.inputs()) {
            sb.append("  ").append(v.name()).append(": ").append(v.type()).append('\n');
        }
        sb.append("outputs:\n");
        for (Value v : g.outputs()) {
            sb.append("  ").append(v.name()).append(": ").append(v.type()).append('\n');
        }
        Map<String, Integer> ops = new TreeMap<>();
        for (Node n : g.nodes()) {
            String op = n.op().equals(Node.FUSED) && n.attrs().get("kind") instanceof Attr.Str k
                    ? n.op() + " @" + k.value()
                    : n.op();
            ops.merge(op, 1, Integer::sum);
        }
        sb.append("ops (").append(g.nodes().size()).append(" nodes):\n");
        int width = ops.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (var e : ops.entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %-" + width + "s %6d%n", e.getKey(), e.getValue()));
        }
        if (!g.symbols().isEmpty()) {
            sb.append("symbols (upper bounds): ");
            sb.append(String.join(
                    ", ",
                    g.symbols().entrySet().stream()
                            .map(e -> e.getKey() + " <= " + e.getValue())
                            .toList()));
            sb.append('\n');
        }
        return sb.toString();
    }
}
