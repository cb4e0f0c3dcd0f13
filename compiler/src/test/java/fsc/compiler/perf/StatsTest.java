package fsc.compiler.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void nearestRankPercentilesAndSampleSd() {
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) {
            v[i] = 100 - i; // 100..1, unsorted on purpose
        }
        Stats s = Stats.of(v);
        assertEquals(1, s.min());
        assertEquals(50, s.median());
        assertEquals(90, s.p90());
        assertEquals(99, s.p99());
        assertEquals(100, s.max());
        assertEquals(50.5, s.mean(), 1e-12);
        assertEquals(Math.sqrt(100 * 101 / 12.0), s.sd(), 1e-9); // sd of 1..n with n - 1: sqrt(n(n+1)/12)
    }

    @Test
    void noiseIsP90MoreThanTwentyPercentAboveTheMedian() {
        assertFalse(Stats.of(new double[] {10, 10, 10, 10, 11.9}).noisy());
        assertTrue(Stats.of(new double[] {10, 10, 10, 13, 13}).noisy());
        assertEquals(0, Stats.of(new double[] {5}).sd());
    }
}
