package fsc.frontend.gguf;

/**
 * The scale searches of ggml's K-quant reference quantizers ({@code ggml-quants.c}): {@code
 * make_qkx2_quants} (Q4_K's asymmetric 4-bit sub-blocks) and {@code make_qx_quants} with {@code
 * rmse_type = 1} and no importance weights (Q6_K's symmetric 6-bit sub-blocks), with {@code
 * nearest_int}. They are written operation for operation in C's float order (ggml-base is built
 * without FMA contraction or fast-math, so every product and sum rounds to float as written): the
 * point is that a file fsc re-quantizes is byte-identical to {@code llama-quantize}'s.
 */
final class KQuantSearch {
    /** ggml's {@code GROUP_MAX_EPS}: below this a group counts as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private KQuantSearch() {}

    /**
     * ggml's {@code nearest_int}: adding 1.5·2^23 leaves the integer in the low mantissa bits,
     * rounded to nearest with ties to even (valid for |v| ≤ 2^22, which every caller respects).
     */
    static int nearestInt(float v) {
        float shifted = v + 12582912.f;
        return (Float.floatToRawIntBits(shifted) & 0x007fffff) - 0x00400000;
    }

    /**
     * {@code make_qkx2_quants(n, nmax, x, weights, L, &the_min, Laux, rmin, rdelta, nstep, false)}:
     * an asymmetric quantization of {@code x[xo..xo+n)} to {@code 0..nmax}, searching {@code nstep+1}
     * scales around {@code nmax / (max - min)} for the least weighted squared error, each with the
     * least-squares scale and minimum for its levels. Writes the levels to {@code l[lo..]} and
     * {@code -min} to {@code theMin[0]}; returns the scale.
     */
    static float makeQkx2Quants(
            int n,
            int nmax,
            float[] x,
            int xo,
            float[] weights,
            byte[] l,
            int lo,
            float[] theMin,
            byte[] laux,
            float rmin,
            float rdelta,
            int nstep) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; ++i) {
            float xi = x[xo + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; ++i) {
                l[lo + i] = 0;
            }
            theMin[0] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; ++i) {
            int q = nearestInt(iscale * (x[xo + i] - min));
            q = Math.max(0, Math.min(nmax, q));
            l[lo + i] = (byte) q;
            float diff = scale * q + min - x[xo + i];
            diff = diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            theMin[0] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXl = 0;
            for (int i = 0; i < n; ++i) {
                int q = nearestInt(iscale * (x[xo + i] - min));
                q = Math.max(0, Math.min(nmax, q));
                laux[i] = (byte) q;
                float w = weights[i];
                sumL += w * q;
                sumL2 += w * q * q;
                sumXl += w * q * x[xo + i];
            }
            float d = sumW * sumL2 - sumL * sumL;
            if (d > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / d;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / d;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; ++i) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    diff = diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, l, lo, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    /**
     * {@code make_qx_quants(n, nmax, x, L, 1, NULL)}: a symmetric quantization of {@code x[xo..xo+n)}
     * to {@code -nmax..nmax-1} (stored offset by {@code nmax}), the largest magnitude first mapped to
     * {@code -nmax}, then 18 scales around it tried with weights {@code x²}, keeping the one of least
     * weighted squared error. Returns the scale; writes the offset levels to {@code l[lo..]}.
     */
    static float makeQxQuantsRmse1(int n, int nmax, float[] x, int xo, byte[] l, int lo) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) {
                l[lo + i] = 0;
            }
            return 0.f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xo + i];
            int q = nearestInt(iscale * xi);
            q = Math.max(-nmax, Math.min(nmax - 1, q));
            l[lo + i] = (byte) (q + nmax);
            float w = xi * xi;
            sumlx += w * xi * q;
            suml2 += w * q * q;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xo + i];
                int q = nearestInt(iscale * xi);
                q = Math.max(-nmax, Math.min(nmax - 1, q));
                float w = xi * xi;
                sumlx += w * xi * q;
                suml2 += w * q * q;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; ++i) {
                    int q = nearestInt(iscale * x[xo + i]);
                    l[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, q)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }
}
