package fsc.compiler.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The warm-up rule on synthetic timing sequences. */
class SettleTest {
    /** Feeds samples until done; returns how many were taken. */
    private static int feed(Settle s, double[] samples) {
        for (int i = 0; i < samples.length; i++) {
            if (s.add(samples[i])) {
                return i + 1;
            }
        }
        return -1;
    }

    @Test
    void settlesAtTheFirstWindowWithinToleranceOfThePrevious() {
        // Windows of 4: medians 100, 50, 20, 10.2, 10.1 -> settles at the fifth window (1% < 3%).
        double[] s = {
            100, 100, 100, 100, 50, 50, 50, 50, 20, 20, 20, 20, 10.2, 10.2, 10.2, 10.2, 10.1, 10.1, 10.1, 10.1, 10, 10
        };
        Settle settle = new Settle(4, 0.03, 100);
        assertEquals(20, feed(settle, s));
        assertTrue(settle.settled());
        assertEquals(5, settle.windows());
        assertEquals(0.1 / 10.2, settle.lastChange(), 1e-12);
    }

    @Test
    void outliersInsideAWindowDoNotMoveTheMedian() {
        // One spike per window (a context switch): medians stay 10, so the second window settles.
        double[] s = {10, 10, 90, 10, 10, 10, 10, 80, 10, 10};
        Settle settle = new Settle(5, 0.03, 100);
        assertEquals(10, feed(settle, s));
        assertTrue(settle.settled());
    }

    @Test
    void aBusyJitKeepsAFlatWindowFromCounting() {
        Settle settle = new Settle(2, 0.03, 100);
        assertFalse(settle.add(50, false));
        assertFalse(settle.add(50, false));
        assertFalse(settle.add(50, true)); // flat, but the compiler was working
        assertFalse(settle.add(50, false));
        assertFalse(settle.settled());
        assertFalse(settle.add(50, false));
        assertTrue(settle.add(50, false));
        assertTrue(settle.settled());
    }

    @Test
    void aSequenceThatNeverSettlesStopsAtTheCap() {
        Settle settle = new Settle(1, 0.03, 6);
        double[] s = {10, 20, 10, 20, 10, 20, 10, 20};
        assertEquals(6, feed(settle, s));
        assertFalse(settle.settled());
        assertTrue(settle.done());
    }

    @Test
    void windowSizeAimsAtAQuarterSecondWithinThreeAndTwenty() {
        assertEquals(20, Settle.windowFor(1e3, 0.25e9));
        assertEquals(5, Settle.windowFor(50e6, 0.25e9));
        assertEquals(3, Settle.windowFor(2e9, 0.25e9));
    }
}
