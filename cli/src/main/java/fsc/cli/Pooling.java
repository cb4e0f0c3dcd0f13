package fsc.cli;

import fsc.runtime.Tensor;

/**
 * Sentence embeddings from token embeddings, as sentence-transformers does for MiniLM: the mean of
 * the token vectors where the attention mask is 1, then L2-normalised.
 */
public final class Pooling {
    private Pooling() {}

    /** tokens [batch, seq, dim] f32, mask [batch, seq] i64 → [batch][dim]. */
    public static float[][] meanNormalized(Tensor tokens, Tensor mask) {
        int batch = (int) tokens.shape()[0];
        int seq = (int) tokens.shape()[1];
        int dim = (int) tokens.shape()[2];
        float[] t = tokens.toFloatArray();
        long[] m = mask.toLongArray();
        float[][] out = new float[batch][dim];
        for (int b = 0; b < batch; b++) {
            int count = 0;
            for (int s = 0; s < seq; s++) {
                if (m[b * seq + s] != 0) {
                    count++;
                    for (int d = 0; d < dim; d++) {
                        out[b][d] += t[(b * seq + s) * dim + d];
                    }
                }
            }
            double norm = 0;
            for (int d = 0; d < dim; d++) {
                out[b][d] /= Math.max(count, 1);
                norm += out[b][d] * out[b][d];
            }
            float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
            for (int d = 0; d < dim; d++) {
                out[b][d] *= inv;
            }
        }
        return out;
    }

    public static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
