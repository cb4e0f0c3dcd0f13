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

    /** {@code s·W}: row k of W[K, N] times s[k]. */
    public static float[] scaleRows(float[] w, float[] s, int n) {
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = w[i] * s[i / n];
        }
        return out;
    }
}
