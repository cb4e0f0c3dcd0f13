package fsc.compiler.perf;

import java.util.Arrays;

/**
 * Decides when warm-up is over: timings are fed one by one, grouped in windows of {@code window}
 * samples, and warm-up ends when the median of a window is within {@code tolerance} (relative) of
 * the previous window's median and the JIT compiled nothing during the window (the caller says so:
 * on a loaded machine the compiler threads starve, and interpreted runs can be flat for seconds
 * before C2 code arrives); or after {@code maxWindows} windows, whichever comes first (a machine too
 * noisy to settle is reported as such, not waited on forever).
 */
public final class Settle {
    private final int window;
    private final double tolerance;
    private final int maxWindows;
    private final double[] current;
    private int filled;
    private int windows;
    private double previousMedian = Double.NaN;
    private double lastChange = Double.NaN;
    private boolean settled;
    private boolean compiledInWindow;

    public Settle(int window, double tolerance, int maxWindows) {
        if (window < 1 || tolerance <= 0 || maxWindows < 2) {
            throw new IllegalArgumentException("window >= 1, tolerance > 0 and maxWindows >= 2 are required");
        }
        this.window = window;
        this.tolerance = tolerance;
        this.maxWindows = maxWindows;
        this.current = new double[window];
    }

    /** Adds one timing taken while the JIT was idle; returns true once warm-up is over. */
    public boolean add(double sample) {
        return add(sample, false);
    }

    /**
     * Adds one timing; {@code compiling}: the JIT compiled something while it ran, so this window
     * cannot count as settled. Returns true once warm-up is over (settled or capped).
     */
    public boolean add(double sample, boolean compiling) {
        if (done()) {
            return true;
        }
        compiledInWindow |= compiling;
        current[filled++] = sample;
        if (filled < window) {
            return false;
        }
        filled = 0;
        windows++;
        double[] s = current.clone();
        Arrays.sort(s);
        double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        if (!Double.isNaN(previousMedian)) {
            lastChange = Math.abs(median - previousMedian) / previousMedian;
            settled = lastChange <= tolerance && !compiledInWindow;
        }
        compiledInWindow = false;
        previousMedian = median;
        return done();
    }

    /** Settled, or out of windows. */
    public boolean done() {
        return settled || windows >= maxWindows;
    }

    /** Whether the last two window medians agreed within the tolerance. */
    public boolean settled() {
        return settled;
    }

    public int windows() {
        return windows;
    }

    /** Relative change between the last two window medians (NaN before the second window). */
    public double lastChange() {
        return lastChange;
    }

    /** The window size for samples of {@code sampleNanos}: about a quarter second of runs, 3 to 20. */
    public static int windowFor(double sampleNanos, double targetNanos) {
        return (int) Math.max(3, Math.min(20, Math.round(targetNanos / Math.max(1, sampleNanos))));
    }
}
