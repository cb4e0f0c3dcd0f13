package fsc.ir.interp;

/** Scalar functions the JDK lacks, computed to double precision. */
final class MathFunctions {
    private MathFunctions() {}

    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    /**
     * The error function. For |x| < 3 the Maclaurin series {@code 2/sqrt(pi) * sum (-1)^n x^(2n+1) /
     * (n! (2n+1))} (the largest term is below e^9, so double rounding costs at most ~1e-12); beyond,
     * the continued fraction for erfc (Abramowitz and Stegun 7.1.14), evaluated bottom-up.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        if (ax < 3) {
            double term = x;
            double sum = x;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -x * x / n;
                sum += term / (2 * n + 1);
            }
            return TWO_OVER_SQRT_PI * sum;
        }
        if (ax > 6) {
            return Math.signum(x);
        }
        double t = ax;
        for (int k = 60; k >= 1; k--) {
            t = ax + (k / 2.0) / t;
        }
        double erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * t);
        return Math.signum(x) * (1 - erfc);
    }

    /** {@code log(x + sqrt(x^2 + 1))}, taken on |x| and mirrored so large negative x does not cancel. */
    static double asinh(double x) {
        double ax = Math.abs(x);
        return Math.copySign(Math.log(ax + Math.sqrt(ax * ax + 1)), x);
    }

    /** {@code log(x + sqrt(x^2 - 1))}; NaN below 1, as the real function is undefined there. */
    static double acosh(double x) {
        return Math.log(x + Math.sqrt(x * x - 1));
    }

    /** {@code log((1 + x) / (1 - x)) / 2}, through log1p so small |x| keeps its precision. */
    static double atanh(double x) {
        return 0.5 * Math.log1p(2 * x / (1 - x));
    }

    static double gelu(double x, boolean tanh) {
        if (tanh) {
            double inner = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
            return 0.5 * x * (1 + Math.tanh(inner));
        }
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
