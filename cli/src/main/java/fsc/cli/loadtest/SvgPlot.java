package fsc.cli.loadtest;

import java.util.List;
import java.util.Locale;

/**
 * Latency over time with the load: the top panel has one dot per completed request at its start
 * time (TTFT, log scale, coloured by class; rejected requests as crosses on the axis), the bottom
 * panel the requests in flight and the server's waiting count from the periodic scrapes.
 */
public final class SvgPlot {
    private static final int W = 900;
    private static final int H = 520;
    private static final int LEFT = 60;
    private static final int TOP_H = 300;
    private static final int BOTTOM_Y = 360;
    private static final int BOTTOM_H = 120;

    private SvgPlot() {}

    public static String render(List<RequestResult> results, List<LoadGenerator.Sample> samples, double durationMs) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%n",
                W,
                H));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        double tMax = Math.max(durationMs, 1);
        double maxMs = 10;
        for (RequestResult r : results) {
            if (!Double.isNaN(r.ttftMs())) {
                maxMs = Math.max(maxMs, r.ttftMs());
            }
        }
        double logMax = Math.log10(maxMs * 1.5);
        double logMin = 0; // 1 ms
        axis(s, 20, TOP_H + 20, "TTFT (ms, log) per request by start time");
        for (int d = 0; d <= (int) Math.ceil(logMax); d++) {
            double y = 20 + TOP_H - (d - logMin) / (logMax - logMin) * TOP_H;
            if (y < 20) {
                break;
            }
            s.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"5\" y=\"%.1f\">%s</text>%n",
                    LEFT,
                    W - 20,
                    y,
                    y,
                    y + 4,
                    (long) Math.pow(10, d)));
        }
        for (RequestResult r : results) {
            double x = LEFT + r.startMs() / tMax * (W - LEFT - 20);
            String color = r.priority().equals("interactive") ? "#d62728" : "#1f77b4";
            if (r.outcome().equals("rejected")) {
                s.append(String.format(
                        Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\">x</text>%n", x - 3, 20 + TOP_H + 4, color));
            } else if (!Double.isNaN(r.ttftMs())) {
                double y = 20 + TOP_H - (Math.log10(Math.max(1, r.ttftMs())) - logMin) / (logMax - logMin) * TOP_H;
                s.append(String.format(
                        Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>%n", x, y, color));
            }
        }
        s.append("<text x=\"700\" y=\"14\" fill=\"#d62728\">interactive</text>")
                .append("<text x=\"780\" y=\"14\" fill=\"#1f77b4\">batch</text>\n");
        axis(s, BOTTOM_Y, BOTTOM_Y + BOTTOM_H, "in flight (black), server waiting (orange)");
        int maxLoad = 1;
        for (LoadGenerator.Sample p : samples) {
            maxLoad = Math.max(maxLoad, p.inFlight());
        }
        s.append(String.format(Locale.ROOT, "<text x=\"5\" y=\"%d\">%d</text>%n", BOTTOM_Y + 4, maxLoad));
        polyline(s, samples, tMax, maxLoad, false, "black");
        polyline(s, samples, tMax, maxLoad, true, "#ff7f0e");
        s.append(String.format(
                Locale.ROOT, "<text x=\"%d\" y=\"%d\">time (s) 0 .. %.1f</text>%n", W / 2 - 40, H - 10, tMax / 1000));
        s.append("</svg>\n");
        return s.toString();
    }

    private static void axis(StringBuilder s, int top, int bottom, String title) {
        s.append(String.format(
                Locale.ROOT,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"black\"/>"
                        + "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"black\"/>"
                        + "<text x=\"%d\" y=\"%d\">%s</text>%n",
                LEFT,
                LEFT,
                top,
                bottom,
                LEFT,
                W - 20,
                bottom,
                bottom,
                LEFT + 5,
                top - 4,
                title));
    }

    private static void polyline(
            StringBuilder s,
            List<LoadGenerator.Sample> samples,
            double tMax,
            int maxLoad,
            boolean waiting,
            String color) {
        StringBuilder pts = new StringBuilder();
        for (LoadGenerator.Sample p : samples) {
            double v = waiting ? p.serverWaiting() : p.inFlight();
            if (Double.isNaN(v)) {
                continue;
            }
            double x = LEFT + p.atMs() / tMax * (W - LEFT - 20);
            double y = BOTTOM_Y + BOTTOM_H - Math.min(1, v / maxLoad) * BOTTOM_H;
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        s.append("<polyline fill=\"none\" stroke=\"")
                .append(color)
                .append("\" points=\"")
                .append(pts.toString().trim())
                .append("\"/>\n");
    }
}
