package fsc.compiler;

import java.util.List;
import java.util.Locale;

/**
 * The per-layer sensitivity chart of a quantization report ({@code sensitivity.svg}): one row per
 * layer (or tensor group), its name with the chosen precision in bold, and up to two bars, one
 * scale for all, so a person sees at a glance which layers quantization hurts. The ONNX report
 * draws int8 and int4 relative L2 errors, the GGUF report q8_0 and 4-bit KL divergences.
 */
final class SensitivitySvg {
    private SensitivitySvg() {}

    static final String BLUE = "#3b6fb6";
    static final String ORANGE = "#e08a2c";

    /** One row: a label, the chosen precision, the first (blue) bar's value and the second's (orange; null: none). */
    record Row(String label, String chosen, double first, Double second) {}

    /**
     * The chart: {@code title} on top, {@code rows}, and a footer saying what a full-width bar is
     * ({@code measure}, e.g. "relative L2 error") followed by {@code note}.
     */
    static String svg(String title, String measure, String note, List<Row> rows) {
        int rowH = 18;
        int labelW = 430;
        int barW = 400;
        int top = 40;
        int h = top + rows.size() * rowH + 30;
        double max = 1e-12;
        for (Row r : rows) {
            max = Math.max(max, r.first());
            if (r.second() != null) {
                max = Math.max(max, r.second());
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"monospace\""
                        + " font-size=\"11\">%n",
                labelW + barW + 90,
                h));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"16\" font-size=\"13\">%s</text>%n", esc(title)));
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            int y = top + i * rowH;
            b.append(String.format(
                    Locale.ROOT,
                    "<text x=\"4\" y=\"%d\">%s <tspan font-weight=\"bold\">%s</tspan></text>%n",
                    y + 12,
                    esc(shorten(r.label(), 56)),
                    esc(r.chosen())));
            bar(b, labelW, y + 2, r.first() / max * barW, BLUE, r.first());
            if (r.second() != null) {
                bar(b, labelW, y + 9, r.second() / max * barW, ORANGE, r.second());
            }
        }
        b.append(String.format(
                Locale.ROOT,
                "<text x=\"4\" y=\"%d\">bar length: %s, full width = %.4g. %s</text>%n",
                h - 10,
                esc(measure),
                max,
                esc(note)));
        b.append("</svg>\n");
        return b.toString();
    }

    private static void bar(StringBuilder b, int x, int y, double w, String color, double value) {
        b.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"6\" fill=\"%s\"><title>%.5g</title></rect>%n",
                x,
                y,
                Math.max(0.5, w),
                color,
                value));
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : "…" + s.substring(s.length() - max + 1);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
