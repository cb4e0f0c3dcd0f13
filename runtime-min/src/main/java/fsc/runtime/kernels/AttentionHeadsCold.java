package fsc.runtime.kernels;

/**
 * The scalar twins of {@link AttentionHeads}' vector code for a fresh JVM ({@link VectorWarmth}):
 * until C2 has compiled the register tiles, a long sequence's attention (MiniLM at 128 tokens: two
 * thirds of a fresh process's first call, seconds in the Vector API's fallback) runs these plain
 * loops, which the interpreter and C1 run fast. Each keeps the vector code's arithmetic in its
 * order, so the bits are the same: every element of a register tile is one accumulator that takes
 * {@code Math.fma} over the reduction index in order; a lane-wise max is a compare-and-select per
 * lane, folded across lanes by {@link Math#max} (as {@code reduceLanes(MAX)}, whose order cannot
 * matter); the softmax sums keep one accumulator per lane, folded by {@link LaneSums#sumInPlace}.
 */
final class AttentionHeadsCold {
    private static final int MR = AttentionHeads.MR;

    private AttentionHeadsCold() {}

    /** {@link AttentionMicroKernels#scores} for {@code vl} lanes (a panel is {@code 2·vl} keys). */
    static void scores(
            float[] q,
            int qOff,
            float[] k,
            int d,
            int panels,
            float[] sc,
            int ld,
            float scale,
            float[] m,
            float[] rowMax,
            int vl) {
        int nr = 2 * vl;
        java.util.Arrays.fill(rowMax, 0, MR * vl, Float.NEGATIVE_INFINITY);
        for (int jt = 0; jt < panels; jt++) {
            int kBase = jt * d * nr;
            int at = jt * nr;
            for (int r = 0; r < MR; r++) {
                for (int x = 0; x < nr; x++) {
                    float c = 0f;
                    for (int e = 0; e < d; e++) {
                        c = Math.fma(k[kBase + e * nr + x], q[qOff + e * MR + r], c);
                    }
                    sc[r * ld + at + x] = Math.fma(c, scale, m[at + x]);
                }
                for (int l = 0; l < vl; l++) {
                    float c0 = sc[r * ld + at + l];
                    float c1 = sc[r * ld + at + vl + l];
                    float c = c1 > c0 ? c1 : c0;
                    rowMax[r * vl + l] = c > rowMax[r * vl + l] ? c : rowMax[r * vl + l];
                }
            }
        }
    }

    /** {@link AttentionMicroKernels#values} for {@code vl} lanes. */
    static void values(
            float[] p,
            int pOff,
            int ldp,
            float[] v,
            int n,
            int keys,
            int panels,
            float[] o,
            int ldo,
            float[] inv,
            int row0,
            int r0,
            int vl) {
        int nr = 2 * vl;
        for (int et = 0; et < panels; et++) {
            int vBase = et * n * nr;
            for (int r = 0; r < 4; r++) {
                int pRow = pOff + r * ldp;
                int at = (row0 + r0 + r) * ldo + et * nr;
                for (int x = 0; x < nr; x++) {
                    float c = 0f;
                    for (int j = 0; j < keys; j++) {
                        c = Math.fma(v[vBase + j * nr + x], p[pRow + j], c);
                    }
                    o[at + x] = c * inv[r0 + r];
                }
            }
        }
    }

    /** {@link AttentionMicroKernels#expShiftedSum} for {@code vl} lanes; {@code lanes} holds {@code vl} floats. */
    static float expShiftedSum(float[] a, int off, int n, float shift, int vl, float[] lanes) {
        java.util.Arrays.fill(lanes, 0, vl, 0f);
        int bound = n - n % vl;
        for (int i = 0; i < bound; i += vl) {
            for (int l = 0; l < vl; l++) {
                float e = AttentionMicroKernels.exp(a[off + i + l] - shift);
                a[off + i + l] = e;
                lanes[l] += e;
            }
        }
        float sum = LaneSums.sumInPlace(lanes, 0, vl);
        for (int i = bound; i < n; i++) {
            float e = AttentionMicroKernels.exp(a[off + i] - shift);
            a[off + i] = e;
            sum += e;
        }
        return sum;
    }

    /** {@code AttentionHeads.maskVector} for {@code vl} lanes; {@code lanes} holds {@code vl} floats. */
    static float maskRow(float[] a, int base, int limit, boolean hasMask, float[] m, int vl, float[] lanes) {
        java.util.Arrays.fill(lanes, 0, vl, Float.NEGATIVE_INFINITY);
        int bound = limit - limit % vl;
        for (int j = 0; j < bound; j += vl) {
            for (int l = 0; l < vl; l++) {
                float x = a[base + j + l];
                if (hasMask) {
                    x += m[j + l];
                    a[base + j + l] = x;
                }
                lanes[l] = x > lanes[l] ? x : lanes[l];
            }
        }
        float max = maxOfLanes(lanes, 0, vl);
        for (int j = bound; j < limit; j++) {
            float s = hasMask ? a[base + j] + m[j] : a[base + j];
            a[base + j] = s;
            max = Math.max(max, s);
        }
        return max;
    }

    /** {@code reduceLanes(MAX)} of {@code a[off, off + vl)}. */
    static float maxOfLanes(float[] a, int off, int vl) {
        float max = Float.NEGATIVE_INFINITY;
        for (int l = 0; l < vl; l++) {
            max = Math.max(max, a[off + l]);
        }
        return max;
    }
}
