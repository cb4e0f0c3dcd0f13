package fsc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The calibration methods' thresholds on distributions whose right answer is known: min-max is the
 * largest |x|; percentile and entropy ignore a handful of outliers that min-max follows; entropy
 * keeps (nearly) the whole range when there are no outliers to cut, and a ReLU-like spike of zeros
 * does not make it clip the real values.
 */
class CalibrationMethodTest {
    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void minmaxIsTheLargestMagnitudeOverAllSamples() {
        List<float[]> s = List.of(new float[] {0.5f, -3f}, new float[] {2f, 1f});
        assertEquals(3f, CalibrationMethod.MINMAX.threshold(s));
        assertEquals(0f, CalibrationMethod.ENTROPY.threshold(List.of(new float[4])), "all zeros");
    }

    @Test
    void percentileAndEntropyIgnoreOutliersMinMaxFollows() {
        float[] v = gaussian(200_000, 1);
        v[0] = 60;
        v[1] = -55;
        List<float[]> s = List.of(v);
        assertEquals(60f, CalibrationMethod.MINMAX.threshold(s));
        float p = CalibrationMethod.PERCENTILE.threshold(s);
        assertTrue(p > 3.5 && p < 6, "99.999th percentile of |N(0,1)| is about 4.4: " + p);
        float e = CalibrationMethod.ENTROPY.threshold(s);
        assertTrue(e > 2 && e < 15, "entropy clips the outliers but not the bulk: " + e);
    }

    @Test
    void entropyKeepsTheRangeOfAUniformDistribution() {
        Random r = new Random(3);
        float[] v = new float[100_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        float e = CalibrationMethod.ENTROPY.threshold(List.of(v));
        assertTrue(e > 0.9, "nothing to cut from a uniform distribution: " + e);
    }

    @Test
    void aSpikeOfZerosDoesNotMakeEntropyClipTheSignal() {
        Random r = new Random(4);
        float[] v = new float[100_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = i % 5 == 0 ? r.nextFloat() * 255 : 0; // an image's background: 80% zeros
        }
        float e = CalibrationMethod.ENTROPY.threshold(List.of(v));
        assertTrue(e > 200, "the pixels' range is real signal: " + e);
    }

    @Test
    void divergenceIsZeroWhenNothingIsLostAndGrowsWithClipping() {
        long[] hist = new long[CalibrationMethod.BINS];
        for (int i = 0; i < CalibrationMethod.LEVELS; i++) {
            hist[i] = 100;
        }
        assertEquals(0, CalibrationMethod.divergence(hist, CalibrationMethod.LEVELS), 1e-9);
        hist[CalibrationMethod.BINS - 1] = 5000;
        assertTrue(CalibrationMethod.divergence(hist, CalibrationMethod.LEVELS) > 0.01);
    }

    @Test
    void unknownMethodsAreRefused() {
        assertThrows(FscException.class, () -> CalibrationMethod.byName("kl"));
        assertEquals(CalibrationMethod.ENTROPY, CalibrationMethod.byName("entropy"));
    }
}
