package fsc.passes;

import java.util.List;

/**
 * SmoothQuant's per-channel migration of activation outliers into the weights (Xiao et al., 2023,
 * "SmoothQuant: Accurate and Efficient Post-Training Quantization for Large Language Models"):
 * {@code x·W = (x / s)·(s·W)} with {@code s_k = sqrt(max|x_k| / max|W_k,:|)} (α = 0.5). Transformer
 * activations have a few channels far larger than the rest, always the same ones, so one scale per
 * tensor spends most of u8's 256 steps on them; dividing those channels down and multiplying the
 * weight rows up (per output column int8 absorbs that) evens the ranges of both operands.
 *
 * <p>{@code max|x_k|} comes from measurement (a run of the f32 model on sample or calibration
 * inputs); all the int8 layers that read one activation share one {@code s}, since they share its
 * quantization.
 */
public final class Smoothing {
    private Smoothing() {}

    /** Scales are kept in [1/LIMIT, LIMIT]: a dead channel (never nonzero) must not blow a weight row up. */
    private static final float LIMIT = 1e4f;

    /**
     * {@code s[K]} for activation channel maxima {@code actMax[K]} and the weights W[K, N_i] (row-major)
     * of every layer that reads the activation; 1 where either maximum is zero.
     */
    public static float[] scales(float[] actMax, List<float[]> weights, List<Integer> columns) {
        int k = actMax.length;
        float[] s = new float[k];
        for (int i = 0; i < k; i++) {
            float wmax = 0;
            for (int l = 0; l < weights.size(); l++) {
                float[] w = weights.get(l);
                int n = columns.get(l);
                for (int j = 0; j < n; j++) {
                    wmax = Math.max(wmax, Math.abs(w[i * n + j]));
                }
            }
            float a = actMax[i];
            s[i] = a > 0 && wmax > 0 ? Math.max(1 / LIMIT, Math.min(LIMIT, (float) Math.sqrt(a / wmax))) : 1f;
        }
        return s;
    }

    /** The exponents tried for weight-only int4 (0 leaves the weights as they are). */
    private static final double[] AWQ_ALPHAS = {0, 0.25, 0.5, 0.75};

    /**
     * Activation-aware scales for weight-only int4 (AWQ: Lin et al., 2024, "AWQ: Activation-aware
     * Weight Quantization for LLM Compression and Acceleration"): {@code s_k = max|x_k|^α}, normalised
     * to a geometric mean of 1, with α chosen among {@link #AWQ_ALPHAS} to minimise the expected
     * output error {@code Σ_k (max|x_k| / s_k)² · Σ_j (s_k·W_kj - Q(s·W)_kj)²} over every reader's
     * weight. Channels that carry large activations get finer weight steps; the input is divided
     * by s at run time. All ones when α = 0 wins (plain Q4_0).
     */
    public static float[] int4Scales(float[] actMax, List<float[]> weights, List<Integer> columns) {
        int k = actMax.length;
        float[] best = ones(k);
        double bestErr = Double.MAX_VALUE;
        for (double alpha : AWQ_ALPHAS) {
            float[] s = alpha == 0 ? ones(k) : powNormalised(actMax, alpha);
            double err = 0;
            for (int l = 0; l < weights.size(); l++) {
                int n = columns.get(l);
                float[] scaled = scaleRows(weights.get(l), s, n);
                double[] q =
                        WeightQuantizer.decoded(scaled, k, n, Precision.INT4, WeightQuantizer.importance(actMax, s));
                for (int i = 0; i < k; i++) {
                    double a = actMax[i] / s[i];
                    double rowErr = 0;
                    for (int j = 0; j < n; j++) {
                        double d = scaled[i * n + j] - q[i * n + j];
                        rowErr += d * d;
                    }
                    err += a * a * rowErr;
                }
            }
            if (err < bestErr) {
                bestErr = err;
                best = s;
            }
        }
        return best;
    }

    private static float[] ones(int k) {
        float[] s = new float[k];
        java.util.Arrays.fill(s, 1f);
        return s;
    }

    private static float[] powNormalised(float[] actMax, double alpha) {
        int k = actMax.length;
        double[] p = new double[k];
        double logSum = 0;
        for (int i = 0; i < k; i++) {
            p[i] = Math.pow(Math.max(actMax[i], 1e-6), alpha);
            logSum += Math.log(p[i]);
        }
        double mean = Math.exp(logSum / k);
        float[] s = new float[k];
        for (int i = 0; i < k; i++) {
            s[i] = (float) Math.max(1 / LIMIT, Math.min(LIMIT, p[i] / mean));
        }
        return s;
    }

    /** {@code s·W}: row k of W[K, N] times s[k]. */
    public static float[] scaleRows(float[] w, float[] s, int n) {
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = w[i] * s[i / n];
        }
        return out;
    }
}
