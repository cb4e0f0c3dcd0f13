package fsc.cli.perf;

import fsc.runtime.perf.MachinePeaks;
import fsc.runtime.perf.NodeTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-node times of a profiled model joined with each node's FLOPs and bytes: the rows of {@code
 * fsc profile}'s table and chart. Times are per call (each node's median over the profiled calls);
 * shares are of their sum plus the median time outside node methods (input checks, output
 * tensors), which appears as its own row.
 */
public record ProfileReport(List<Row> rows, double runMs, double nodesMs, MachinePeaks peaks) {
    /** One slot (or one op kind in {@link #byOp}); flops NaN when the op has no cost model. */
    public record Row(String label, String op, String name, double ms, int count, double flops, double bytes) {
        public double gflops() {
            return flops / (ms * 1e6);
        }

        public double gbs() {
            return bytes / (ms * 1e6);
        }
    }

    /** Rows for every slot ({@code slotMs} indexed by slot), sorted by time. */
    public static ProfileReport of(
            NodeTable table, double[] slotMs, Map<String, Long> binding, double runMs, MachinePeaks peaks) {
        List<Row> rows = new ArrayList<>();
        double nodes = 0;
        for (NodeTable.Slot s : table.slots()) {
            double ms = slotMs[s.slot()];
            nodes += ms;
            rows.add(new Row(
                    "#" + s.node(),
                    s.op(),
                    s.name().isEmpty() ? s.output() : s.name(),
                    ms,
                    1,
                    s.flops(binding),
                    s.bytes(binding)));
        }
        rows.sort(Comparator.comparingDouble(Row::ms).reversed());
        return new ProfileReport(List.copyOf(rows), runMs, nodes, peaks);
    }

    /** The same time summed per op kind, sorted by time. */
    public List<Row> byOp() {
        Map<String, double[]> acc = new LinkedHashMap<>();
        for (Row r : rows) {
            double[] a = acc.computeIfAbsent(r.op(), k -> new double[4]);
            a[0] += r.ms();
            a[1]++;
            a[2] += r.flops();
            a[3] += r.bytes();
        }
        List<Row> out = new ArrayList<>();
        acc.forEach((op, a) -> out.add(new Row(op, op, "", a[0], (int) a[1], a[2], a[3])));
        out.sort(Comparator.comparingDouble(Row::ms).reversed());
        return out;
    }

    public double totalFlops() {
        return rows.stream()
                .mapToDouble(r -> Double.isNaN(r.flops()) ? 0 : r.flops())
                .sum();
    }

    public double totalBytes() {
        return rows.stream().mapToDouble(Row::bytes).sum();
    }

    /** The text tables: top {@code limit} nodes by time, then every op kind. */
    public String text(int limit) {
        StringBuilder b = new StringBuilder();
        if (peaks != null) {
            b.append(peaks.describe()).append('\n');
        }
        b.append(String.format(
                Locale.ROOT,
                "per call %.3f ms (node medians %.3f ms + median outside nodes %.3f ms); %.3f GFLOP, %.1f MB moved -> %.1f GFLOP/s,"
                        + " %.1f GB/s overall%n%n",
                runMs,
                nodesMs,
                Math.max(0, runMs - nodesMs),
                totalFlops() / 1e9,
                totalBytes() / 1e6,
                totalFlops() / (runMs * 1e6),
                totalBytes() / (runMs * 1e6)));
        b.append(header("node", "name"));
        int shown = 0;
        for (Row r : rows) {
            if (shown++ == limit) {
                break;
            }
            b.append(line(r.label(), r));
        }
        if (rows.size() > limit) {
            double rest = rows.subList(limit, rows.size()).stream()
                    .mapToDouble(Row::ms)
                    .sum();
            b.append(String.format(
                    Locale.ROOT,
                    "%-6s %-26s %9.3f %6.1f%%  (%d more nodes)%n",
                    "",
                    "...",
                    rest,
                    100 * rest / runMs,
                    rows.size() - limit));
        }
        b.append('\n').append(header("op", "nodes"));
        for (Row r : byOp()) {
            b.append(line(
                    "",
                    new Row(
                            r.label(),
                            r.op(),
                            r.count() + " node" + (r.count() == 1 ? "" : "s"),
                            r.ms(),
                            r.count(),
                            r.flops(),
                            r.bytes())));
        }
        b.append(String.format(
                Locale.ROOT,
                "%-6s %-26s %9.3f %6.1f%%  %s%n",
                "",
                "(outside nodes)",
                Math.max(0, runMs - nodesMs),
                100 * Math.max(0, runMs - nodesMs) / runMs,
                "input checks, output tensors, loop overhead"));
        return b.toString();
    }

    private String header(String first, String nameCol) {
        String peakCols = peaks == null ? "" : String.format(Locale.ROOT, " %6s %6s", "%FMA", "%BW");
        return String.format(
                Locale.ROOT,
                "%-6s %-26s %9s %7s %9s %9s %9s %8s%s  %s%n",
                first,
                "op",
                "ms/call",
                "share",
                "MFLOP",
                "GFLOP/s",
                "MB",
                "GB/s",
                peakCols,
                nameCol);
    }

    private String line(String label, Row r) {
        boolean known = !Double.isNaN(r.flops());
        String peakCols = "";
        if (peaks != null) {
            peakCols = String.format(
                    Locale.ROOT,
                    " %6s %6s",
                    known ? String.format(Locale.ROOT, "%.1f", 100 * r.gflops() / peaks.fmaGflops()) : "?",
                    String.format(Locale.ROOT, "%.1f", 100 * r.gbs() / peaks.readGBs()));
        }
        return String.format(
                Locale.ROOT,
                "%-6s %-26s %9.3f %6.1f%% %9s %9s %9.2f %8.1f%s  %s%n",
                label,
                clip(r.op(), 26),
                r.ms(),
                100 * r.ms() / runMs,
                known ? String.format(Locale.ROOT, "%.2f", r.flops() / 1e6) : "?",
                known ? String.format(Locale.ROOT, "%.1f", r.gflops()) : "?",
                r.bytes() / 1e6,
                r.gbs(),
                peakCols,
                ProfileSvg.clipLeft(r.name(), 60));
    }

    static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
