package fsc.runtime.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CostModelTest {
    @Test
    void learnsTheLineOfExactStepsAndInvertsIt() {
        CostModel c = new CostModel(1, 1);
        for (int i = 0; i < 200; i++) {
            int tokens = 1 + (i * 37) % 200;
            c.observe(tokens, 5 + 0.5 * tokens);
        }
        assertEquals(5, c.fixedMs(), 1e-6);
        assertEquals(0.5, c.perTokenMs(), 1e-9);
        assertEquals(0, c.spreadMs(), 1e-3);
        assertEquals(40, c.maxTokensWithin(25.0001));
        assertEquals(0, c.maxTokensWithin(4));
    }

    @Test
    void keepsTwoStandardDeviationsOfTheSpreadInHand() {
        CostModel c = new CostModel(1, 1);
        for (int i = 0; i < 400; i++) {
            int tokens = 1 + (i * 37) % 200;
            c.observe(tokens, 5 + 0.5 * tokens + (i % 2 == 0 ? 3 : -3));
        }
        assertEquals(3, c.spreadMs(), 0.3);
        // (25 - 2 * 3 - 5) / 0.5 = 28 tokens instead of the 40 the mean line allows.
        int n = c.maxTokensWithin(25);
        assertTrue(n >= 26 && n <= 30, "tokens within 25 ms: " + n);
    }

    @Test
    void equalSizedStepsKeepThePriorSlope() {
        CostModel c = new CostModel(2, 0.25);
        for (int i = 0; i < 100; i++) {
            c.observe(8, 10);
        }
        assertEquals(0.25, c.perTokenMs(), 1e-12);
        assertEquals(8, c.fixedMs(), 1e-6);
    }
}
