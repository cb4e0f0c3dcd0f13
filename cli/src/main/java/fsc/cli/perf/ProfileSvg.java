package fsc.cli.perf;

import java.util.List;
import java.util.Locale;

/**
 * {@code fsc profile --svg}: two horizontal bar charts, the slowest nodes and the time per op kind,
 * each bar labelled with its time, share, and achieved GFLOP/s and GB/s (with the share of the
 * machine's peaks), colours by op family so a reader sees at a glance where the time goes and
 * whether it is arithmetic or memory that is short. Plain SVG 1.1, no scripts or external fonts.
 */
public final class ProfileSvg {
    private static final int WIDTH = 1180;
    private static final int LABEL_W = 360;
    private static final int BAR_W = 420;
    private static final int ROW_H = 20;

    private ProfileSvg() {}

    public static String render(ProfileReport report, String title, int topNodes) {
        List<ProfileReport.Row> nodes =
                report.rows().subList(0, Math.min(topNodes, report.rows().size()));
        List<ProfileReport.Row> ops = report.byOp();
        int height = 110 + (nodes.size() + ops.size()) * ROW_H + 90;
        StringBuilder b = new StringBuilder();
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        b.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">%n",
                WIDTH,
                height,
                WIDTH,
                height));
        b.append(String.format("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
        b.append(text(12, 22, 16, "bold", title));
        b.append(text(
                12,
                42,
                12,
                "normal",
                String.format(
                        Locale.ROOT,
                        "%.3f ms per call (nodes %.3f ms); %.3f GFLOP, %.1f MB -> %.1f GFLOP/s, %.1f GB/s",
                        report.runMs(),
                        report.nodesMs(),
                        report.totalFlops() / 1e9,
                        report.totalBytes() / 1e6,
                        report.totalFlops() / (report.runMs() * 1e6),
                        report.totalBytes() / (report.runMs() * 1e6))));
        if (report.peaks() != null) {
            b.append(text(
                    12,
                    60,
                    11,
                    "normal",
                    String.format(
                            Locale.ROOT,
                            "peaks (%d thread%s): FMA %.1f GFLOP/s, DRAM read %.1f GB/s (measured)",
                            report.peaks().threads(),
                            report.peaks().threads() == 1 ? "" : "s",
                            report.peaks().fmaGflops(),
                            report.peaks().readGBs())));
        }
        int y = 90;
        y = section(b, y, "Slowest " + nodes.size() + " of " + report.rows().size() + " nodes", nodes, report, false);
        y = section(b, y + 16, "Time per op kind", ops, report, true);
        legend(b, y + 14);
        b.append("</svg>\n");
        return b.toString();
    }

    private static int section(
            StringBuilder b, int y, String heading, List<ProfileReport.Row> rows, ProfileReport r, boolean ops) {
        b.append(text(12, y, 13, "bold", heading));
        y += 8;
        double max = rows.stream().mapToDouble(ProfileReport.Row::ms).max().orElse(1);
        for (ProfileReport.Row row : rows) {
            String label = ops
                    ? row.op() + " (" + row.count() + ")"
                    : ProfileReport.clip(row.op(), 22) + "  "
                            + clipLeft(row.name(), 58 - Math.min(22, row.op().length()) - 2);
            b.append(text(12, y + 14, 11, "normal", ProfileReport.clip(label, 58)));
            double w = Math.max(1, BAR_W * row.ms() / max);
            b.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s</title></rect>%n",
                    LABEL_W,
                    y + 3,
                    w,
                    ROW_H - 5,
                    colour(row.op()),
                    esc(row.op() + " " + row.name())));
            b.append(text(LABEL_W + (int) w + 6, y + 14, 11, "normal", annotation(row, r)));
            y += ROW_H;
        }
        return y + 6;
    }

    /** Keeps the end of a node name ("…layer.3/intermediate/dense/MatMul"): its last parts say what it is. */
    static String clipLeft(String s, int n) {
        return s.length() <= n ? s : "…" + s.substring(s.length() - n + 1);
    }

    private static String annotation(ProfileReport.Row row, ProfileReport r) {
        StringBuilder a =
                new StringBuilder(String.format(Locale.ROOT, "%.3f ms  %.1f%%", row.ms(), 100 * row.ms() / r.runMs()));
        if (!Double.isNaN(row.flops()) && row.flops() > 0) {
            a.append(String.format(Locale.ROOT, "  %.1f GFLOP/s", row.gflops()));
            if (r.peaks() != null) {
                a.append(String.format(
                        Locale.ROOT,
                        " (%.0f%% FMA)",
                        100 * row.gflops() / r.peaks().fmaGflops()));
            }
        }
        a.append(String.format(Locale.ROOT, "  %.1f GB/s", row.gbs()));
        if (r.peaks() != null) {
            a.append(String.format(
                    Locale.ROOT, " (%.0f%% BW)", 100 * row.gbs() / r.peaks().readGBs()));
        }
        return a.toString();
    }

    private static final String[][] FAMILIES = {
        {"matmul / gemm", "#3b6fd8"},
        {"attention", "#8e44ad"},
        {"conv / pool", "#2e9e57"},
        {"norm / softmax", "#e08a1e"},
        {"element-wise / fused", "#7f8c8d"},
        {"data movement", "#b5651d"},
        {"other", "#c0392b"}
    };

    static String colour(String op) {
        String o = op.toLowerCase(Locale.ROOT);
        int f;
        if (o.contains("matmul") || o.startsWith("gemm") || o.contains("qmatmul")) {
            f = 0;
        } else if (o.contains("attention")) {
            f = 1;
        } else if (o.contains("conv") || o.contains("pool")) {
            f = 2;
        } else if (o.contains("norm") || o.contains("softmax")) {
            f = 3;
        } else if (o.startsWith("fused")
                || o.equals("add")
                || o.equals("mul")
                || o.equals("sub")
                || o.equals("div")
                || o.equals("gelu")
                || o.equals("relu")
                || o.equals("tanh")
                || o.equals("silu")
                || o.equals("sigmoid")) {
            f = 4;
        } else if (fsc.cli.perf.ProfileSvg.MOVEMENT.contains(o)) {
            f = 5;
        } else {
            f = 6;
        }
        return FAMILIES[f][1];
    }

    static final java.util.Set<String> MOVEMENT = java.util.Set.of(
            "gather", "embedding", "transpose", "concat", "slice", "split", "expand", "tile", "cast", "pad", "copy");

    private static void legend(StringBuilder b, int y) {
        int x = 12;
        for (String[] f : FAMILIES) {
            b.append(String.format(
                    Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>%n", x, y, f[1]));
            b.append(text(x + 16, y + 10, 11, "normal", f[0]));
            x += 24 + 7 * f[0].length();
        }
        b.append(text(
                12,
                y + 34,
                10,
                "normal",
                "FLOPs: 2·M·N·K per GEMM, 1 per element-wise result, fixed counts per norm/softmax element; bytes: inputs read"
                        + " once + outputs written once. BW over 100% means the data came from cache, not DRAM."));
    }

    private static String text(int x, int y, int size, String weight, String s) {
        return String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" font-size=\"%d\" font-weight=\"%s\">%s</text>%n",
                x,
                y,
                size,
                weight,
                esc(s));
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> {
                    if (c >= 0x20 || c == '\t') {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
