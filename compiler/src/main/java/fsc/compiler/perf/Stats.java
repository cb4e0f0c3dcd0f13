package fsc.compiler.perf;

import java.util.Arrays;

/** Summary statistics of a sample of timings (or rates): nearest-rank percentiles, mean, sample sd. */
public record Stats(int n, double min, double median, double p90, double p99, double max, double mean, double sd) {
    public static Stats of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] s = values.clone();
        Arrays.sort(s);
        double sum = 0;
        for (double v : s) {
            sum += v;
        }
        double mean = sum / s.length;
        double sq = 0;
        for (double v : s) {
            sq += (v - mean) * (v - mean);
        }
        // Sample standard deviation (n - 1), as llama-bench reports it; 0 for one value.
        double sd = s.length > 1 ? Math.sqrt(sq / (s.length - 1)) : 0;
        return new Stats(s.length, s[0], pct(s, 50), pct(s, 90), pct(s, 99), s[s.length - 1], mean, sd);
    }

    /** Nearest-rank percentile of sorted values. */
    static double pct(double[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** Whether the spread says the machine was busy: p90 more than 20% above the median. */
    public boolean noisy() {
        return p90 > 1.2 * median;
    }
}
