package fsc.compiler;

import fsc.passes.Precision;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The quantization report's speed section ({@link QuantSpeed}'s measurement) in Markdown, with a
 * plain sentence per variant that is not faster than fp32, and its one-line form for the jar's
 * manifest ({@value QuantizeCompile#SPEED_ATTRIBUTE}).
 */
final class QuantSpeedTable {
    private QuantSpeedTable() {}

    static String markdown(QuantSpeed.Result r, QuantReport report) {
        StringBuilder b = new StringBuilder("## Speed\n\n");
        b.append(String.format(
                Locale.ROOT,
                "Each variant compiled as the jar is (the same passes and Java kernels, in memory) and timed in the"
                        + " compiling JVM on %s with %s: a warm-up per variant until its timings settle (at most"
                        + " %.0f s), then %d rounds in which every variant runs a few calls in turn. Load average %s"
                        + " at the start, %s at the end, on %d CPUs: on a busy machine the milliseconds move between"
                        + " runs, so compare the variants (timed side by side), and time the jar itself with `fsc"
                        + " bench`. Accuracy here: each variant's outputs against the compiled fp32 variant's on the"
                        + " same inputs.%n%n",
                r.inputs(),
                threads(r.threads()),
                QuantSpeed.WARMUP_CAP_SECONDS,
                QuantSpeed.ROUNDS,
                load(r.loadBefore()),
                load(r.loadAfter()),
                r.cpus()));
        b.append("| variant | layers int8 / int4 / fp32 | linear weights | median ms | spread (min–p90) ms"
                + " | speed-up vs fp32 (rounds' lowest–highest) | lowest row cosine | mean row cosine | warm-up |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (QuantSpeed.Row row : r.rows()) {
            Map<String, Precision> a = row.variant().assignment();
            b.append(String.format(
                    Locale.ROOT,
                    "| %s | %d / %d / %d | %s | %s | %s–%s | %s | %.5f | %.5f | %d runs%s |%n",
                    row.variant().name(),
                    count(report, a, Precision.INT8),
                    count(report, a, Precision.INT4),
                    count(report, a, Precision.FP32),
                    QuantReport.size(report.weightBytes(a)[1]),
                    ms(row.ms().median()),
                    ms(row.ms().min()),
                    ms(row.ms().p90()),
                    row == r.fp32() ? "1" : speedup(row, r.fp32()),
                    row.accuracy().minCosine(),
                    row.accuracy().meanCosine(),
                    row.warmupRuns(),
                    row.settled() ? "" : ", unsettled"));
        }
        b.append('\n');
        for (QuantSpeed.Row row : r.rows()) {
            if (row != r.fp32()) {
                b.append("- ").append(verdict(row, r.fp32(), report)).append('\n');
            }
        }
        if (r.rows().stream().anyMatch(x -> !x.settled())) {
            b.append("- An *unsettled* warm-up ran into its cap while the timings still moved (a busy machine, or"
                    + " the JIT still compiling): that variant's numbers are the least certain.\n");
        }
        return b.append('\n').toString();
    }

    /** {@code ×1.62 (1.55–1.70)}: the pooled ratio, then the rounds' lowest and highest. */
    private static String speedup(QuantSpeed.Row row, QuantSpeed.Row fp32) {
        double[] s = row.roundSpeedups();
        return String.format(
                Locale.ROOT,
                "×%.2f (%.2f–%.2f)",
                row.speedup(fp32),
                Arrays.stream(s).min().orElseThrow(),
                Arrays.stream(s).max().orElseThrow());
    }

    /**
     * Whether the variant pays: faster than fp32 in every round. One that is slower, or no faster in
     * some round, is said not to pay, with what it does buy (smaller weights).
     */
    static boolean pays(QuantSpeed.Row row, QuantSpeed.Row fp32) {
        return row.speedup(fp32) > 1 && Arrays.stream(row.roundSpeedups()).min().orElseThrow() > 1;
    }

    static String verdict(QuantSpeed.Row row, QuantSpeed.Row fp32, QuantReport report) {
        String name = row.variant().name();
        double x = row.speedup(fp32);
        if (pays(row, fp32)) {
            return String.format(
                    Locale.ROOT,
                    "%s is ×%.2f as fast as fp32 (%s against %s ms), faster in every round.",
                    name,
                    x,
                    ms(row.ms().median()),
                    ms(fp32.ms().median()));
        }
        long[] bytes = report.weightBytes(row.variant().assignment());
        String why = x < 1
                ? String.format(
                        Locale.ROOT,
                        "slower than fp32 (%s against %s ms, ×%.2f)",
                        ms(row.ms().median()),
                        ms(fp32.ms().median()),
                        x)
                : String.format(
                        Locale.ROOT,
                        "×%.2f against fp32, within the noise (some round had it no faster: %s)",
                        x,
                        speedup(row, fp32));
        return String.format(
                Locale.ROOT,
                "**%s does not pay here**: %s on these inputs and threads. What it buys is smaller weights (%s"
                        + " instead of %s); on small layers or memory-bound shapes the quantized kernels' extra work"
                        + " (quantizing activations, unpacking weights, rescaling) costs what the narrower weights"
                        + " save.",
                name,
                why,
                QuantReport.size(bytes[1]),
                QuantReport.size(bytes[0]));
    }

    /** {@code 1 thread, input_ids 16×16, ...: fp32 40.12 ms; int8 25.30 ms ×1.59; int4 ... (does not pay)}. */
    static String summary(QuantSpeed.Result r) {
        StringBuilder b = new StringBuilder(threads(r.threads()))
                .append(", ")
                .append(r.inputs())
                .append(':');
        for (QuantSpeed.Row row : r.rows()) {
            b.append(row == r.fp32() ? " " : "; ")
                    .append(row.variant().name())
                    .append(' ')
                    .append(ms(row.ms().median()))
                    .append(" ms");
            if (row != r.fp32()) {
                b.append(String.format(Locale.ROOT, " ×%.2f", row.speedup(r.fp32())));
                if (!pays(row, r.fp32())) {
                    b.append(" (does not pay)");
                }
            }
        }
        return b.append(String.format(Locale.ROOT, "; load average %s", load(r.loadAfter())))
                .toString();
    }

    private static long count(QuantReport report, Map<String, Precision> a, Precision p) {
        return a == null
                ? (p == Precision.FP32 ? report.layers().size() : 0)
                : a.values().stream().filter(x -> x == p).count();
    }

    /** Milliseconds to three significant digits or so: 0.062, 12.34, 123.4. */
    static String ms(double v) {
        return String.format(Locale.ROOT, v < 1 ? "%.3f" : v < 100 ? "%.2f" : "%.1f", v);
    }

    private static String threads(int n) {
        return n == 1 ? "1 thread" : n + " threads";
    }

    private static String load(double l) {
        return l < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", l);
    }
}
