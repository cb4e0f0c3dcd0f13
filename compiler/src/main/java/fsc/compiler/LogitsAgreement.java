package fsc.compiler;

import fsc.runtime.llm.Sampler;

/**
 * How far a quantized decoder's next-token logits are from the reference model's at the same
 * positions (teacher forcing: both saw the same tokens): the KL divergence of the quantized model's
 * next-token distribution from the reference's (mean and largest, in nats), how often the top token
 * is the reference's, and the relative L2 error of the logits over every position. One accumulator
 * serves the compiler's GGUF accuracy report and the tests' accuracy bench, so both measure alike.
 */
public final class LogitsAgreement {
    private int steps;
    private int sameTop;
    private double klSum;
    private double klMax;
    private double diffSquares;
    private double referenceSquares;

    /** Adds one position: the reference logits {@code p} and the quantized model's {@code q}. */
    public LogitsAgreement add(float[] p, float[] q) {
        if (p.length != q.length) {
            throw new IllegalArgumentException("logits of " + p.length + " and " + q.length + " tokens");
        }
        sameTop += Sampler.argmax(p, 0, p.length) == Sampler.argmax(q, 0, q.length) ? 1 : 0;
        double kl = kl(p, q);
        klSum += kl;
        klMax = Math.max(klMax, kl);
        for (int i = 0; i < p.length; i++) {
            double d = (double) q[i] - p[i];
            diffSquares += d * d;
            referenceSquares += (double) p[i] * p[i];
        }
        steps++;
        return this;
    }

    /** Adds every position of {@code p} and {@code q} (rows of logits). */
    public LogitsAgreement addAll(float[][] p, float[][] q) {
        for (int i = 0; i < p.length; i++) {
            add(p[i], q[i]);
        }
        return this;
    }

    public int steps() {
        return steps;
    }

    /** Positions whose top token is the reference's. */
    public int sameTop() {
        return sameTop;
    }

    public double meanKl() {
        return steps == 0 ? 0 : klSum / steps;
    }

    public double maxKl() {
        return klMax;
    }

    /** ||q − p|| / ||p|| over all positions' logits. */
    public double relL2() {
        return referenceSquares == 0 ? 0 : Math.sqrt(diffSquares / referenceSquares);
    }

    /** KL(softmax(p) ‖ softmax(q)) in nats, in double (never below 0: rounding can make it −1e-17). */
    public static double kl(float[] p, float[] q) {
        double[] lp = logSoftmax(p);
        double[] lq = logSoftmax(q);
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            s += Math.exp(lp[i]) * (lp[i] - lq[i]);
        }
        return Math.max(0, s);
    }

    private static double[] logSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        double log = Math.log(sum) + max;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] - log;
        }
        return out;
    }
}
