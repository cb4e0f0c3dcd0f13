package fsc.cli.pictures;

import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The memory plan as an SVG drawn by fsc itself: x is the node index, y the arena offset, and each
 * planned buffer is one rectangle spanning the nodes it is live over and the bytes it occupies.
 * Hovering a rectangle shows its value, type, offset, size and live range ({@code <title>}). Views
 * share their source's bytes and are not drawn again. Colours follow the producing op, so the
 * attention and GEMM buffers stand out.
 */
public final class MemoryPlanSvg {
    private MemoryPlanSvg() {}

    private static final int WIDTH = 1200;
    private static final int HEIGHT = 640;
    private static final int MARGIN = 60;

    public static String render(Graph g) {
        MemoryPlan plan = g.plan();
        if (plan == null) {
            throw new FscException("graph '" + g.name() + "' has no memory plan", "run the plan-memory pass first");
        }
        List<Node> nodes = g.nodes();
        Map<Value, Integer> lastRead = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (Value in : nodes.get(i).inputs()) {
                lastRead.put(in, i);
            }
        }
        g.outputs().forEach(v -> lastRead.put(v, nodes.size() - 1));
        double xs = (double) (WIDTH - 2 * MARGIN) / Math.max(1, nodes.size());
        double ys = (double) (HEIGHT - 2 * MARGIN) / Math.max(1, plan.arenaBytes());
        StringBuilder s = new StringBuilder();
        s.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\""
                        + " font-size=\"12\">\n",
                WIDTH,
                HEIGHT));
        s.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"20\">memory plan of %s: arena %s, peak live %s (lower bound), naive %s</text>\n",
                MARGIN,
                escape(g.name()),
                bytes(plan.arenaBytes()),
                bytes(plan.peakLiveBytes()),
                bytes(plan.naiveBytes())));
        s.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n",
                MARGIN,
                MARGIN,
                WIDTH - 2 * MARGIN,
                HEIGHT - 2 * MARGIN));
        s.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\">node index →</text><text x=\"8\" y=\"%d\">offset ↓</text>\n",
                WIDTH / 2,
                HEIGHT - 20,
                MARGIN - 8));
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            for (Value v : n.outputs()) {
                MemoryPlan.Slot slot = plan.slotOf(v);
                if (slot == null || isView(n)) {
                    continue;
                }
                int last = lastRead.getOrDefault(v, i);
                s.append(String.format(
                        Locale.ROOT,
                        "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" stroke=\"#333\""
                                + " stroke-width=\"0.3\"><title>%%%s: %s = %s\noffset 0x%x, %s, live nodes %d..%d</title></rect>\n",
                        MARGIN + i * xs,
                        MARGIN + slot.offset() * ys,
                        Math.max(1.0, (last - i + 1) * xs),
                        Math.max(1.0, slot.bytes() * ys),
                        colour(n.op()),
                        escape(v.name()),
                        escape(v.type().toString()),
                        escape(n.op()),
                        slot.offset(),
                        bytes(slot.bytes()),
                        i,
                        last));
            }
        }
        return s.append("</svg>\n").toString();
    }

    private static boolean isView(Node n) {
        return List.of("reshape", "squeeze", "unsqueeze", "identity", "flatten").contains(n.op());
    }

    /** A fixed colour per op: its name's hash picks the hue, so the same op always looks the same. */
    private static String colour(String op) {
        int h = Math.floorMod(op.hashCode(), 360);
        return "hsl(" + h + ",60%,70%)";
    }

    static String bytes(long b) {
        if (b >= 1 << 20) {
            return String.format(Locale.ROOT, "%.2f MiB", b / 1048576.0);
        }
        if (b >= 1 << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        return b + " B";
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
