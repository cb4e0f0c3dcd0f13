package fsc.compiler;

import fsc.ir.FscException;
import java.util.List;
import java.util.Locale;

/**
 * {@code --calibration-method}: how the static scale of an activation is read from its values over
 * the calibration set. Each gives a clipping threshold T on |x|; the int8 scale is {@code T / 127}
 * and values beyond T saturate. All three work on one histogram of |x| ({@value #BINS} bins over
 * [0, max|x|]), as ONNX Runtime's {@code HistogramCalibrater} and TensorRT's calibrator do:
 *
 * <ul>
 *   <li><b>minmax</b>: T = max|x| (ORT's {@code MinMaxCalibrater}, symmetric): nothing clips, and one
 *       outlier stretches every step;
 *   <li><b>percentile</b>: T = the {@value #PERCENT}th percentile of |x| (ORT's default), the upper
 *       edge of the bin where the cumulative count reaches it;
 *   <li><b>entropy</b>: the T that minimises the KL divergence between the histogram clipped at T
 *       (outliers folded into its last bin) and that histogram merged into 128 levels and expanded
 *       back (Migacz, "8-bit Inference with TensorRT", GTC 2017; ORT's {@code EntropyCalibrater}
 *       runs the same search on a signed histogram), the zero bin flattened first ({@link
 *       #entropyBins}). Empty bins of the expanded one get a small ε (ORT's {@code
 *       smooth_distribution}) so the divergence stays finite.
 * </ul>
 */
enum CalibrationMethod {
    MINMAX,
    PERCENTILE,
    ENTROPY;

    static final int BINS = 2048;
    static final int LEVELS = 128;
    static final double PERCENT = 99.999;

    /** The command-line spelling. */
    String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static CalibrationMethod byName(String name) {
        for (CalibrationMethod m : values()) {
            if (m.cliName().equals(name)) {
                return m;
            }
        }
        throw new FscException("--calibration-method " + name + ": not a method (minmax, percentile or entropy)");
    }

    /** The clipping threshold T on |x| for the values of one activation over the samples (0 when all are 0). */
    float threshold(List<float[]> samples) {
        float max = 0;
        for (float[] s : samples) {
            for (float v : s) {
                max = Math.max(max, Math.abs(v));
            }
        }
        if (this == MINMAX || max == 0 || !Float.isFinite(max)) {
            return max;
        }
        long[] hist = new long[BINS];
        double width = max / BINS;
        long total = 0;
        for (float[] s : samples) {
            for (float v : s) {
                hist[Math.min(BINS - 1, (int) (Math.abs(v) / width))]++;
                total++;
            }
        }
        int bins = this == PERCENTILE ? percentileBins(hist, total) : entropyBins(hist);
        return (float) Math.min(max, bins * width);
    }

    /** The number of leading bins holding {@link #PERCENT}% of the values. */
    static int percentileBins(long[] hist, long total) {
        double want = total * PERCENT / 100;
        long seen = 0;
        for (int i = 0; i < hist.length; i++) {
            seen += hist[i];
            if (seen >= want) {
                return i + 1;
            }
        }
        return hist.length;
    }

    /**
     * The number of leading bins, {@link #LEVELS} to all, whose clipped histogram loses least to 128
     * levels. The zero bin's count is replaced by its neighbour's first, as NVIDIA's
     * pytorch-quantization does: after a ReLU or on an image's background most values are exactly 0,
     * and a spike that size makes the divergence blind to the tail, so the search clips far too much
     * (on MNIST it saturated the bright pixels and flipped 1.5% of the predictions).
     */
    static int entropyBins(long[] counts) {
        long[] hist = counts.clone();
        hist[0] = hist[1];
        int best = hist.length;
        double bestKl = Double.MAX_VALUE;
        for (int i = LEVELS; i <= hist.length; i++) {
            double kl = divergence(hist, i);
            if (kl < bestKl) {
                bestKl = kl;
                best = i;
            }
        }
        return best;
    }

    /**
     * KL(P || Q): P the first {@code n} bins with the rest folded into the last, Q the first {@code n}
     * bins alone merged into 128 levels and expanded back.
     */
    static double divergence(long[] hist, int n) {
        double[] p = new double[n];
        for (int j = 0; j < n; j++) {
            p[j] = hist[j];
        }
        for (int j = n; j < hist.length; j++) {
            p[n - 1] += hist[j];
        }
        // Q: the first n bins without the outliers (so clipping them costs divergence), each level's
        // count spread evenly over the bins of P that are non-empty.
        double[] q = new double[n];
        for (int l = 0; l < LEVELS; l++) {
            int start = (int) ((long) l * n / LEVELS);
            int end = (int) ((long) (l + 1) * n / LEVELS);
            double sum = 0;
            int nonEmpty = 0;
            for (int j = start; j < end; j++) {
                sum += hist[j];
                if (p[j] != 0) {
                    nonEmpty++;
                }
            }
            for (int j = start; j < end; j++) {
                if (p[j] != 0 && nonEmpty > 0) {
                    q[j] = sum / nonEmpty;
                }
            }
        }
        double[] ps = smooth(p);
        double[] qs = smooth(q);
        if (ps == null || qs == null) {
            return Double.MAX_VALUE;
        }
        double kl = 0;
        for (int j = 0; j < n; j++) {
            if (ps[j] > 0) {
                kl += ps[j] * Math.log(ps[j] / qs[j]);
            }
        }
        return kl;
    }

    private static final double EPS = 1e-4;

    /** d normalised to sum 1, with ε moved onto its empty bins (null when d is all zeros). */
    private static double[] smooth(double[] d) {
        int zeros = 0;
        double sum = 0;
        for (double v : d) {
            sum += v;
            if (v == 0) {
                zeros++;
            }
        }
        if (sum == 0 || zeros == d.length) {
            return null;
        }
        double take = EPS * zeros / (d.length - zeros);
        double[] out = new double[d.length];
        for (int j = 0; j < d.length; j++) {
            double v = d[j] / sum;
            out[j] = d[j] == 0 ? EPS : Math.max(v - take, EPS * EPS);
        }
        return out;
    }
}
