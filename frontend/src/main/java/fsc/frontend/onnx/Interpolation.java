package fsc.frontend.onnx;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One axis of ONNX Resize as a matrix: {@code out[o] = sum_i m[o][i] * in[i] + offset[o]}, computed
 * at compile time from the resize attributes, following ONNX's reference implementation
 * ({@code onnx/reference/ops/op_resize.py}: coordinate transform, neighbour choice in the
 * edge-padded input, coefficient functions, {@code exclude_outside}, extrapolation). Resize is
 * separable, so applying one such matrix per axis, innermost axis first, reproduces it exactly.
 *
 * @param m {@code [out][in]} weights
 * @param offset per output position: the extrapolation value where {@code tf_crop_and_resize}
 *     samples outside the input, else 0
 */
record Interpolation(double[][] m, double[] offset) {

    /** The Resize attributes that shape the matrix. */
    record Mode(
            String mode,
            String coordinates,
            String nearest,
            double cubicA,
            boolean excludeOutside,
            double extrapolation,
            boolean antialias) {}

    /**
     * @param in input length along the axis
     * @param out output length
     * @param scale the scale factor (given, or {@code out / in} when sizes were given)
     * @param roiStart roi start for tf_crop_and_resize (normalised), roiEnd its end
     */
    static Interpolation of(Mode mode, int in, int out, double scale, double roiStart, double roiEnd) {
        double[][] m = new double[out][in];
        double[] offset = new double[out];
        double outWidth = scale * in;
        for (int o = 0; o < out; o++) {
            double x = source(mode, o, scale, in, out, outWidth, roiStart, roiEnd);
            if (mode.coordinates().equals("tf_crop_and_resize") && (x < 0 || x > in - 1)) {
                offset[o] = mode.extrapolation();
                continue;
            }
            int xi = (int) Math.floor(x);
            double ratio = x == Math.rint(x) ? 1 : x - xi;
            double[] coeffs = coefficients(mode, ratio, x == Math.rint(x), scale);
            int n = coeffs.length;
            int pad = (n + 1) / 2;
            int[] idx = neighbours(x + pad, n, in + 2 * pad);
            if (mode.excludeOutside()) {
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    int i = idx[k] - pad;
                    if (i < 0 || i >= in) {
                        coeffs[k] = 0;
                    }
                    sum += coeffs[k];
                }
                for (int k = 0; k < n; k++) {
                    coeffs[k] /= sum;
                }
            }
            for (int k = 0; k < n; k++) {
                int i = Math.min(in - 1, Math.max(0, idx[k] - pad));
                m[o][i] += coeffs[k];
            }
        }
        return new Interpolation(m, offset);
    }

    /** The source coordinate of output position {@code x}. */
    private static double source(
            Mode mode, int x, double scale, int in, int outInt, double outWidth, double roiStart, double roiEnd) {
        return switch (mode.coordinates()) {
            case "align_corners" -> outWidth == 1 ? 0 : x * (in - 1) / (outWidth - 1);
            case "half_pixel" -> (x + 0.5) / scale - 0.5;
            case "pytorch_half_pixel" -> outWidth != 1 ? (x + 0.5) / scale - 0.5 : -0.5;
            case "asymmetric" -> x / scale;
            case "half_pixel_symmetric" -> {
                double adjustment = outInt / outWidth;
                double center = in / 2.0;
                yield center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
            }
            case "tf_crop_and_resize" ->
                (outWidth == 1
                                ? (roiEnd - roiStart) * (in - 1) / 2
                                : x * (roiEnd - roiStart) * (in - 1) / (outWidth - 1))
                        + roiStart * (in - 1);
            default ->
                throw new IllegalArgumentException(
                        "unknown coordinate_transformation_mode '" + mode.coordinates() + "'");
        };
    }

    private static double[] coefficients(Mode mode, double ratio, boolean integral, double scale) {
        return switch (mode.mode()) {
            case "nearest" -> nearest(mode.nearest(), ratio, integral);
            case "linear" ->
                mode.antialias() && scale < 1 ? linearAntialias(ratio, scale) : new double[] {1 - ratio, ratio};
            case "cubic" ->
                mode.antialias() && scale < 1
                        ? cubicAntialias(ratio, scale, mode.cubicA())
                        : cubic(ratio, mode.cubicA());
            default -> throw new IllegalArgumentException("unknown mode '" + mode.mode() + "'");
        };
    }

    private static double[] nearest(String nearestMode, double ratio, boolean integral) {
        if (integral) {
            return new double[] {0, 1};
        }
        return switch (nearestMode) {
            case "round_prefer_floor" -> new double[] {ratio <= 0.5 ? 1 : 0, ratio > 0.5 ? 1 : 0};
            case "round_prefer_ceil" -> new double[] {ratio < 0.5 ? 1 : 0, ratio >= 0.5 ? 1 : 0};
            case "floor" -> new double[] {1, 0};
            case "ceil" -> new double[] {0, 1};
            default -> throw new IllegalArgumentException("unknown nearest_mode '" + nearestMode + "'");
        };
    }

    private static double[] cubic(double r, double a) {
        double s = 1 - r;
        return new double[] {
            ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
            ((a + 2) * r - (a + 3)) * r * r + 1,
            ((a + 2) * s - (a + 3)) * s * s + 1,
            ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a
        };
    }

    private static double[] linearAntialias(double ratio, double scale) {
        int start = (int) Math.floor(-1 / scale) + 1;
        int footprint = 2 - 2 * start;
        double[] c = new double[footprint];
        double sum = 0;
        for (int k = 0; k < footprint; k++) {
            c[k] = Math.clamp(1 - Math.abs((start + k - ratio) * scale), 0, 1);
            sum += c[k];
        }
        for (int k = 0; k < footprint; k++) {
            c[k] /= sum;
        }
        return c;
    }

    private static double[] cubicAntialias(double ratio, double scale, double a) {
        int start = (int) Math.floor(-2 / scale) + 1;
        int end = 2 - start;
        double[] c = new double[end - start];
        double sum = 0;
        for (int i = start; i < end; i++) {
            double x = Math.abs(scale * (i - ratio));
            double w;
            if (x <= 1) {
                w = ((a + 2) * x - (a + 3)) * x * x + 1;
            } else if (x < 2) {
                w = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
            } else {
                w = 0;
            }
            c[i - start] = w;
            sum += w;
        }
        for (int k = 0; k < c.length; k++) {
            c[k] /= sum;
        }
        return c;
    }

    /** The {@code n} indices of {@code [0, limit)} closest to {@code x}, ties to the smaller, ascending. */
    private static int[] neighbours(double x, int n, int limit) {
        List<Integer> candidates = new ArrayList<>();
        int base = (int) Math.floor(x);
        for (int i = Math.max(0, base - n - 1); i < Math.min(limit, base + n + 2); i++) {
            candidates.add(i);
        }
        candidates.sort(
                Comparator.<Integer>comparingDouble(i -> Math.abs(x - i)).thenComparingInt(i -> i));
        return candidates.subList(0, Math.min(n, candidates.size())).stream()
                .mapToInt(Integer::intValue)
                .sorted()
                .toArray();
    }

    /** True when this axis leaves its input unchanged. */
    boolean isIdentity() {
        if (m.length != m[0].length) {
            return false;
        }
        for (int o = 0; o < m.length; o++) {
            if (offset[o] != 0) {
                return false;
            }
            for (int i = 0; i < m[o].length; i++) {
                if (m[o][i] != (o == i ? 1 : 0)) {
                    return false;
                }
            }
        }
        return true;
    }
}
