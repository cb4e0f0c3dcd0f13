package fsc.cli.perf;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * llama-bench's Markdown table, column for column ({@code tools/llama-bench/llama-bench.cpp},
 * {@code markdown_printer}): model (left, 30), size (GiB/MiB, 10), params (B/M, 10), backend (left,
 * 10), threads (7), test (15), t/s ({@code mean ± sd}, 20), so fsc's rows line up under llama.cpp's.
 */
public final class LlamaBenchTable {
    /** One row's cells. */
    public record Row(
            String model,
            long sizeBytes,
            long params,
            String backend,
            int threads,
            String test,
            double mean,
            double sd) {}

    private static final String[] HEAD = {"model", "size", "params", "backend", "threads", "test", "t/s"};
    private static final int[] WIDTH = {-30, 10, 10, -10, 7, 15, 20};

    private LlamaBenchTable() {}

    public static String render(List<Row> rows) {
        StringBuilder b = new StringBuilder("|");
        for (int i = 0; i < HEAD.length; i++) {
            b.append(' ').append(pad(HEAD[i], WIDTH[i])).append(" |");
        }
        b.append("\n|");
        for (int w : WIDTH) {
            b.append(' ')
                    .append("-".repeat(Math.abs(w) - 1))
                    .append(w > 0 ? ":" : "-")
                    .append(" |");
        }
        b.append('\n');
        for (Row r : rows) {
            List<String> cells = new ArrayList<>();
            cells.add(r.model());
            cells.add(size(r.sizeBytes()));
            cells.add(r.params() < 0 ? "?" : params(r.params()));
            cells.add(r.backend());
            cells.add(Integer.toString(r.threads()));
            cells.add(r.test());
            cells.add(String.format(Locale.ROOT, "%.2f ± %.2f", r.mean(), r.sd()));
            b.append('|');
            for (int i = 0; i < cells.size(); i++) {
                b.append(' ').append(pad(cells.get(i), WIDTH[i])).append(" |");
            }
            b.append('\n');
        }
        return b.toString();
    }

    static String size(long bytes) {
        return bytes < 1024L * 1024 * 1024
                ? String.format(Locale.ROOT, "%.2f MiB", bytes / 1024.0 / 1024.0)
                : String.format(Locale.ROOT, "%.2f GiB", bytes / 1024.0 / 1024.0 / 1024.0);
    }

    static String params(long n) {
        return n < 1_000_000_000L
                ? String.format(Locale.ROOT, "%.2f M", n / 1e6)
                : String.format(Locale.ROOT, "%.2f B", n / 1e9);
    }

    /** printf's {@code %*s}: negative width pads on the right. */
    static String pad(String s, int width) {
        int w = Math.abs(width);
        if (s.length() >= w) {
            return s;
        }
        String fill = " ".repeat(w - s.length());
        return width < 0 ? s + fill : fill + s;
    }
}
