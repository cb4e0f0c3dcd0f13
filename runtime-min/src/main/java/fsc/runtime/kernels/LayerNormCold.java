package fsc.runtime.kernels;

/**
 * The scalar twin of {@link FloatMath}'s layer-norm row for a fresh JVM ({@link VectorWarmth}):
 * until C2 has compiled the row's vector code, rows take these plain loops, with the vector code's
 * arithmetic in its order, so the bits are the same. The sum keeps one accumulator per vector lane
 * (plain adds), the squared deviations one per lane ({@code Math.fma(d, d, acc)}); both fold by
 * {@link LaneSums#sumInPlace}'s tree, then the tail elements are added one by one.
 */
final class LayerNormCold {
    private LayerNormCold() {}

    /** {@code FloatMath.layerNorm} of one row, in place in {@code a[0, n)}, for {@code vl} lanes; {@code b} may be null. */
    static void layerNorm(float[] a, int n, float[] g, float[] b, float eps, int vl, float[] lanes) {
        int bound = n - n % vl;
        java.util.Arrays.fill(lanes, 0, vl, 0f);
        for (int i = 0; i < bound; i += vl) {
            for (int l = 0; l < vl; l++) {
                lanes[l] += a[i + l];
            }
        }
        float sum = LaneSums.sumInPlace(lanes, 0, vl);
        for (int i = bound; i < n; i++) {
            sum += a[i];
        }
        float mean = sum / n;
        java.util.Arrays.fill(lanes, 0, vl, 0f);
        for (int i = 0; i < bound; i += vl) {
            for (int l = 0; l < vl; l++) {
                float d = a[i + l] - mean;
                lanes[l] = Math.fma(d, d, lanes[l]);
            }
        }
        float sq = LaneSums.sumInPlace(lanes, 0, vl);
        for (int i = bound; i < n; i++) {
            float d = a[i] - mean;
            sq = Math.fma(d, d, sq);
        }
        float rstd = (float) (1.0 / Math.sqrt(sq / n + eps));
        for (int i = 0; i < n; i++) {
            float v = (a[i] - mean) * rstd * g[i];
            if (b != null) {
                v += b[i];
            }
            a[i] = v;
        }
    }
}
