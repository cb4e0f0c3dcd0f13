package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ONNX GridSample over f32 tensors with 1 to 3 spatial axes: {@code y[n, c, p] = interpolate x[n, c]
 * at grid[n, p]}. Per output position the kernel works out, for each spatial axis, up to four taps
 * (index and weight; index -1 reads zero padding), then sums the products over every tap combination
 * for each channel. Coordinates are denormalised in float, as ONNX's reference computes them, so
 * nearest-mode rounding ties agree with it.
 */
public final class GridSample {
    private GridSample() {}

    public static final int NEAREST = 0;
    public static final int LINEAR = 1;
    public static final int CUBIC = 2;
    public static final int ZEROS = 0;
    public static final int BORDER = 1;
    public static final int REFLECTION = 2;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final float CUBIC_ALPHA = -0.75f;

    /**
     * @param x {@code [n, c, d0(, d1(, d2))]}
     * @param grid {@code [n, positions, rank]}, coordinates (x, y, z) in [-1, 1], x along the last axis
     * @param y {@code [n, c, positions]}
     * @param dims the spatial sizes d0..d{rank-1}; {@code dims.length} is the rank
     */
    public static void sample(
            MemorySegment x,
            MemorySegment grid,
            MemorySegment y,
            int n,
            int c,
            long positions,
            int mode,
            int padding,
            boolean alignCorners,
            int... dims) {
        int rank = dims.length;
        long pixels = 1;
        for (int d : dims) {
            pixels *= d;
        }
        int taps = mode == NEAREST ? 1 : mode == LINEAR ? 2 : 4;
        long[][] index = new long[rank][taps];
        float[][] weight = new float[rank][taps];
        int combos = (int) Math.pow(taps, rank);
        for (int b = 0; b < n; b++) {
            for (long p = 0; p < positions; p++) {
                for (int d = 0; d < rank; d++) {
                    long stride = 1;
                    for (int e = d + 1; e < rank; e++) {
                        stride *= dims[e];
                    }
                    float g = grid.getAtIndex(F32, (b * positions + p) * rank + (rank - 1 - d));
                    taps(g, dims[d], stride, mode, padding, alignCorners, index[d], weight[d]);
                }
                for (int ch = 0; ch < c; ch++) {
                    long base = ((long) b * c + ch) * pixels;
                    float sum = 0;
                    for (int k = 0; k < combos; k++) {
                        int rest = k;
                        long at = 0;
                        float w = 1;
                        boolean padded = false;
                        for (int d = rank - 1; d >= 0 && !padded; d--) {
                            int t = rest % taps;
                            rest /= taps;
                            padded = index[d][t] < 0;
                            at += index[d][t];
                            w *= weight[d][t];
                        }
                        if (!padded) {
                            sum += w * x.getAtIndex(F32, base + at);
                        }
                    }
                    y.setAtIndex(F32, ((long) b * c + ch) * positions + p, sum);
                }
            }
        }
    }

    /** The taps of one axis of size {@code size}: element offsets ({@code stride} times the index, -1 for zero). */
    private static void taps(
            float g, int size, long stride, int mode, int padding, boolean alignCorners, long[] index, float[] weight) {
        float lo = alignCorners ? 0 : -0.5f;
        float hi = alignCorners ? size - 1 : size - 0.5f;
        float v = alignCorners ? (g + 1) / 2f * (size - 1) : ((g + 1) * size - 1) / 2f;
        if (mode == NEAREST) {
            v = (float) Math.rint(v);
        }
        if (v < lo || v > hi) {
            if (padding == BORDER) {
                v = Math.min(Math.max(v, 0), size - 1);
            } else if (padding == REFLECTION) {
                v = (float) reflect(v, lo, hi);
            }
        }
        long first;
        switch (mode) {
            case NEAREST -> {
                first = (long) v;
                weight[0] = 1;
            }
            case LINEAR -> {
                first = (long) Math.floor(v);
                float f = v - first;
                weight[0] = 1 - f;
                weight[1] = f;
            }
            default -> {
                long f0 = (long) Math.floor(v);
                first = f0 - 1;
                cubicWeights(v - f0, weight);
            }
        }
        for (int t = 0; t < index.length; t++) {
            long i = resolve(first + t, size, padding, lo, hi);
            index[t] = i < 0 ? -1 : i * stride;
        }
    }

    private static long resolve(long i, int size, int padding, float lo, float hi) {
        return switch (padding) {
            case ZEROS -> i >= 0 && i < size ? i : -1;
            case BORDER -> Math.min(Math.max(i, 0), size - 1);
            default -> Math.min(Math.max((long) reflect(i, lo, hi), 0), size - 1);
        };
    }

    /** Mirrors {@code v} at the nearer border until it lies in [lo, hi]. */
    private static double reflect(double v, double lo, double hi) {
        double range = hi - lo;
        if (range <= 0) {
            return lo;
        }
        if (v < lo) {
            double dx = lo - v;
            long k = (long) (dx / range);
            double rest = dx - k * range;
            return k % 2 == 0 ? lo + rest : hi - rest;
        }
        if (v > hi) {
            double dx = v - hi;
            long k = (long) (dx / range);
            double rest = dx - k * range;
            return k % 2 == 0 ? hi - rest : lo + rest;
        }
        return v;
    }

    /** Keys' cubic convolution weights (a = -0.75) for taps at -1, 0, 1, 2 around fraction t. */
    private static void cubicWeights(float t, float[] w) {
        float a = CUBIC_ALPHA;
        float x0 = t + 1;
        float x2 = 1 - t;
        float x3 = 2 - t;
        w[0] = ((a * x0 - 5 * a) * x0 + 8 * a) * x0 - 4 * a;
        w[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
        w[2] = ((a + 2) * x2 - (a + 3)) * x2 * x2 + 1;
        w[3] = ((a * x3 - 5 * a) * x3 + 8 * a) * x3 - 4 * a;
    }
}
