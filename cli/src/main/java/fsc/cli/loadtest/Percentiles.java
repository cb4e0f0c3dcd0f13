package fsc.cli.loadtest;

import java.util.Arrays;

/** Nearest-rank percentiles over a sample. */
final class Percentiles {
    private Percentiles() {}

    /** The {@code q}-quantile (0..1) by nearest rank; NaN for an empty sample. */
    static double of(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int rank = (int) Math.ceil(q * v.length);
        return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
    }
}
