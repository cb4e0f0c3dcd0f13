package fsc.cli.conformance;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The ONNX backend test's rule: the same number of outputs, each with exactly the expected dtype and
 * shape, and every element within {@code 1e-7 + 1e-3·|expected|} of the expected one, NaN equal to
 * NaN (and an infinity equal only to itself). Strings must be equal exactly.
 */
final class TensorComparison {
    static final double ATOL = 1e-7;
    static final double RTOL = 1e-3;

    private TensorComparison() {}

    /** {@link Outcome.Pass} or the first difference as {@link Outcome.Fail}, with the largest error seen. */
    static Outcome compare(List<TensorValues> expected, List<TensorValues> actual) {
        if (expected.size() != actual.size()) {
            return new Outcome.Fail(
                    "expected " + expected.size() + " outputs, the model returned " + actual.size(), Double.NaN);
        }
        double worst = 0;
        String firstBad = null;
        for (int k = 0; k < expected.size(); k++) {
            TensorValues e = expected.get(k);
            TensorValues a = actual.get(k);
            if (!e.dtype().equals(a.dtype()) || !Arrays.equals(e.shape(), a.shape())) {
                return new Outcome.Fail(
                        "output " + k + ": expected " + e.typeString() + ", got " + a.typeString(), Double.NaN);
            }
            long n = e.count();
            if (e.isString()) {
                for (int i = 0; i < n && firstBad == null; i++) {
                    if (!e.strings()[i].equals(a.strings()[i])) {
                        firstBad = String.format(
                                Locale.ROOT,
                                "output %d element %d: expected \"%s\", got \"%s\"",
                                k,
                                i,
                                e.strings()[i],
                                a.strings()[i]);
                    }
                }
                continue;
            }
            for (long i = 0; i < n; i++) {
                double err = error(e, a, i);
                if (Double.isNaN(err)) {
                    if (firstBad == null) {
                        firstBad = mismatch(k, i, e, a);
                    }
                    continue;
                }
                worst = Math.max(worst, err);
                if (err > ATOL + RTOL * Math.abs(e.get(i)) && firstBad == null) {
                    firstBad = mismatch(k, i, e, a);
                }
            }
        }
        return firstBad == null ? new Outcome.Pass() : new Outcome.Fail(firstBad, worst);
    }

    /** {@code |a - e|}, 0 when both are NaN or the same infinity, NaN when only one side is NaN or infinite. */
    private static double error(TensorValues e, TensorValues a, long i) {
        if (e.isInteger()) {
            return Math.abs((double) (a.getLong(i) - e.getLong(i)));
        }
        double x = e.get(i);
        double y = a.get(i);
        if (Double.isNaN(x) || Double.isNaN(y)) {
            return Double.isNaN(x) && Double.isNaN(y) ? 0 : Double.NaN;
        }
        if (Double.isInfinite(x) || Double.isInfinite(y)) {
            return x == y ? 0 : Double.NaN;
        }
        return Math.abs(y - x);
    }

    private static String mismatch(int k, long i, TensorValues e, TensorValues a) {
        return String.format(Locale.ROOT, "output %d element %d: expected %s, got %s", k, i, show(e, i), show(a, i));
    }

    private static String show(TensorValues t, long i) {
        return t.isInteger() ? Long.toString(t.getLong(i)) : Double.toString(t.get(i));
    }
}
