package fsc.runtime.serve;

/**
 * Step time as a line in the tokens of the step, {@code ms = fixed + perToken * tokens}, learned
 * online by exponentially weighted least squares so it follows the machine (JIT warm-up, other
 * load). A step's fixed part (weights streamed once per step) dominates decode, the per-token part
 * dominates prefill; the scheduler inverts the line to size steps within a time-between-tokens
 * budget. A line is only a model (a step switches kernels with its size, the machine has other
 * work), so the spread of measured steps around it is tracked too, and {@link #maxTokensWithin}
 * keeps two standard deviations of it in hand: a frame is a tail-latency promise, not a mean one.
 * Not thread-safe: the engine thread owns it.
 */
public final class CostModel {
    /** Weight of the newest sample: about the last 50 steps matter. */
    private static final double ALPHA = 0.02;

    private final double priorFixedMs;
    private final double priorPerTokenMs;
    private double n;
    private double sx;
    private double sy;
    private double sxx;
    private double sxy;
    private double syy;
    private long observed;

    /** Starts from a prior line, used until measured steps with different sizes pin the slope. */
    public CostModel(double priorFixedMs, double priorPerTokenMs) {
        if (!(priorFixedMs >= 0) || !(priorPerTokenMs > 0)) {
            throw new IllegalArgumentException("cost prior must be >= 0 ms and > 0 ms/token");
        }
        this.priorFixedMs = priorFixedMs;
        this.priorPerTokenMs = priorPerTokenMs;
    }

    /** Records one measured step. */
    public void observe(int tokens, double ms) {
        if (tokens < 1 || !(ms >= 0) || Double.isInfinite(ms)) {
            return;
        }
        double keep = 1 - ALPHA;
        n = n * keep + 1;
        sx = sx * keep + tokens;
        sy = sy * keep + ms;
        sxx = sxx * keep + (double) tokens * tokens;
        sxy = sxy * keep + tokens * ms;
        syy = syy * keep + ms * ms;
        observed++;
    }

    public long observedSteps() {
        return observed;
    }

    /** Milliseconds of fixed cost per step. */
    public double fixedMs() {
        double[] line = line();
        return line[0];
    }

    /** Milliseconds per token in a step. */
    public double perTokenMs() {
        return line()[1];
    }

    public double predictMs(int tokens) {
        double[] line = line();
        return line[0] + line[1] * tokens;
    }

    /**
     * Standard deviation of the measured steps around the line, in ms, with the same weights as the
     * fit: {@code Var(ms - slope * tokens)}, 0 before any step.
     */
    public double spreadMs() {
        if (n < 1e-9) {
            return 0;
        }
        double slope = line()[1];
        double meanX = sx / n;
        double meanY = sy / n;
        double varX = sxx / n - meanX * meanX;
        double varY = syy / n - meanY * meanY;
        double cov = sxy / n - meanX * meanY;
        return Math.sqrt(Math.max(0, varY - 2 * slope * cov + slope * slope * varX));
    }

    /**
     * The most tokens a step may hold to finish within {@code ms} with two standard deviations of
     * the measured spread to spare (0 when even the fixed cost is over).
     */
    public int maxTokensWithin(double ms) {
        double[] line = line();
        double t = (ms - 2 * spreadMs() - line[0]) / line[1];
        return t < 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, Math.floor(t));
    }

    /**
     * {fixed, perToken}. With too little spread in step sizes the slope is unknown: keep the prior's
     * slope and fit only the intercept, so a run of equal-sized decode steps cannot produce a zero or
     * negative slope (which would make any step look free).
     */
    private double[] line() {
        if (n < 1e-9) {
            return new double[] {priorFixedMs, priorPerTokenMs};
        }
        double meanX = sx / n;
        double meanY = sy / n;
        double varX = sxx / n - meanX * meanX;
        double slope = priorPerTokenMs;
        if (varX > 1.0) {
            double fitted = (sxy / n - meanX * meanY) / varX;
            slope = Math.max(fitted, priorPerTokenMs * 0.01);
        }
        double fixed = Math.max(0, meanY - slope * meanX);
        return new double[] {fixed, slope};
    }
}
