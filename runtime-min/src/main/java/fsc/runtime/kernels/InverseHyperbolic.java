package fsc.runtime.kernels;

/**
 * The inverse hyperbolic functions, which {@link Math} lacks, in double precision; generated code
 * for ONNX Asinh, Acosh and Atanh calls them per element (float tensors round the result once).
 */
public final class InverseHyperbolic {
    private InverseHyperbolic() {}

    /** {@code log(x + sqrt(x^2 + 1))}, taken on |x| and mirrored so large negative x does not cancel. */
    public static double asinh(double x) {
        double ax = Math.abs(x);
        return Math.copySign(Math.log(ax + Math.sqrt(ax * ax + 1)), x);
    }

    /** {@code log(x + sqrt(x^2 - 1))}; NaN below 1, where the real function is undefined. */
    public static double acosh(double x) {
        return Math.log(x + Math.sqrt(x * x - 1));
    }

    /** {@code log((1 + x) / (1 - x)) / 2}, through log1p so small |x| keeps its precision. */
    public static double atanh(double x) {
        return 0.5 * Math.log1p(2 * x / (1 - x));
    }
}
