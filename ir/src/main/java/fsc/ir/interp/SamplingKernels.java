package fsc.ir.interp;

/**
 * Reference {@code grid_sample}, structured as ONNX's reference implementation: denormalise each
 * grid coordinate, round (nearest) and bring it back inside the borders (border clamps, reflection
 * mirrors), then interpolate one spatial axis at a time, fetching pixels through the padding rule.
 * Coordinates are computed in float as the reference does, so rounding ties match.
 */
final class SamplingKernels {
    private SamplingKernels() {}

    private static final double CUBIC_ALPHA = -0.75;

    static HostTensor gridSample(Call c) {
        HostTensor x = c.in(0);
        HostTensor grid = c.in(1);
        String mode = c.node().strAttr("mode");
        String padding = c.node().strAttr("padding_mode");
        boolean align = c.node().intAttr("align_corners") != 0;
        long[] xs = x.shape();
        int r = xs.length - 2;
        long[] in = java.util.Arrays.copyOfRange(xs, 2, xs.length);
        long pixels = Index.product(xs, 2, xs.length);
        long[] ys = c.outShape();
        long positions = Index.product(ys, 2, ys.length);
        HostTensor out = c.newOutput();
        double[] lo = new double[r];
        double[] hi = new double[r];
        for (int d = 0; d < r; d++) {
            lo[d] = align ? 0 : -0.5;
            hi[d] = align ? in[d] - 1 : in[d] - 0.5;
        }
        Sampler s = new Sampler(x, in, mode, padding, lo, hi);
        for (long n = 0; n < xs[0]; n++) {
            for (long p = 0; p < positions; p++) {
                double[] at = new double[r];
                for (int d = 0; d < r; d++) {
                    // The grid lists (x, y, z): x indexes the last spatial axis.
                    float g = (float) grid.getDouble((n * positions + p) * r + (r - 1 - d));
                    float v = align ? (g + 1) / 2f * (in[d] - 1) : ((g + 1) * in[d] - 1) / 2f;
                    if (mode.equals("nearest")) {
                        v = (float) Math.rint(v);
                    }
                    if (v < lo[d] || v > hi[d]) {
                        if (padding.equals("border")) {
                            v = (float) Math.min(Math.max(v, 0), in[d] - 1);
                        } else if (padding.equals("reflection")) {
                            v = (float) reflect(v, lo[d], hi[d]);
                        }
                    }
                    at[d] = v;
                }
                for (long ch = 0; ch < xs[1]; ch++) {
                    long base = (n * xs[1] + ch) * pixels;
                    out.setDouble((n * xs[1] + ch) * positions + p, s.value(base, 0, at, 0));
                }
            }
        }
        return out;
    }

    /** Mirrors {@code v} at the nearer border until it lies in [lo, hi]. */
    static double reflect(double v, double lo, double hi) {
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

    private record Sampler(HostTensor x, long[] in, String mode, String padding, double[] lo, double[] hi) {
        /** The interpolated value over axes d.. of the image at element offset {@code offset}. */
        double value(long base, long offset, double[] at, int d) {
            if (d == in.length) {
                return x.getDouble(base + offset);
            }
            long stride = Index.product(in, d + 1, in.length);
            double v = at[d];
            long first;
            double[] weights;
            switch (mode) {
                case "nearest" -> {
                    first = (long) v;
                    weights = new double[] {1};
                }
                case "linear" -> {
                    first = (long) Math.floor(v);
                    double f = v - first;
                    weights = new double[] {1 - f, f};
                }
                default -> {
                    long f0 = (long) Math.floor(v);
                    first = f0 - 1;
                    weights = cubic(v - f0);
                }
            }
            double sum = 0;
            for (int k = 0; k < weights.length; k++) {
                long i = pixel(first + k, d);
                if (i >= 0) {
                    sum += weights[k] * value(base, offset + i * stride, at, d + 1);
                }
            }
            return sum;
        }

        /** Index {@code i} of axis d after the padding rule; -1 reads a zero. */
        private long pixel(long i, int d) {
            return switch (padding) {
                case "zeros" -> i >= 0 && i < in[d] ? i : -1;
                case "border" -> Math.min(Math.max(i, 0), in[d] - 1);
                default -> Math.min(Math.max((long) reflect(i, lo[d], hi[d]), 0), in[d] - 1);
            };
        }
    }

    /** Keys' cubic convolution weights (a = -0.75) of the taps at -1, 0, 1, 2 around fraction t. */
    static double[] cubic(double t) {
        double a = CUBIC_ALPHA;
        double x0 = t + 1;
        double x1 = t;
        double x2 = 1 - t;
        double x3 = 2 - t;
        return new double[] {
            ((a * x0 - 5 * a) * x0 + 8 * a) * x0 - 4 * a,
            ((a + 2) * x1 - (a + 3)) * x1 * x1 + 1,
            ((a + 2) * x2 - (a + 3)) * x2 * x2 + 1,
            ((a * x3 - 5 * a) * x3 + 8 * a) * x3 - 4 * a
        };
    }
}
