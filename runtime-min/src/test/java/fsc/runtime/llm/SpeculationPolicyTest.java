package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SpeculationPolicyTest {
    @Test
    void alwaysSpeculates() {
        assertTrue(new SpeculationPolicy(SpeculativeGenerator.Mode.ALWAYS, 4).speculate());
    }

    @Test
    void autoMeasuresThenStaysPlainWhileSpeculationDoesNotPayProbingLessAndLessOften() {
        SpeculationPolicy p = new SpeculationPolicy(SpeculativeGenerator.Mode.AUTO, 4);
        for (int i = 0; i < 3; i++) {
            assertFalse(p.speculate(), "plain steps are measured first");
            p.plainStep(10);
        }
        for (int i = 0; i < 4; i++) {
            assertTrue(p.speculate(), "then a few rounds");
            p.roundTime(i == 0 ? 6000 : 60); // an expensive draft; the first round is cold, not counted
            p.round(1, 4);
            p.roundEnded();
        }
        assertTrue(p.predictedSpeedup() < 1);
        assertEquals(SpeculationPolicy.FIRST_PROBE_INTERVAL, plainStepsUntilProbe(p));
        p.roundTime(60);
        p.round(0, 4);
        p.roundEnded();
        assertEquals(
                2 * SpeculationPolicy.FIRST_PROBE_INTERVAL, plainStepsUntilProbe(p), "a failed probe doubles the wait");
    }

    @Test
    void autoKeepsSpeculatingWhileItPays() {
        SpeculationPolicy p = new SpeculationPolicy(SpeculativeGenerator.Mode.AUTO, 4);
        for (int i = 0; i < 3; i++) {
            p.speculate();
            p.plainStep(10);
        }
        for (int i = 0; i < 10; i++) {
            assertTrue(p.speculate());
            p.roundTime(i == 0 ? 1600 : 16);
            p.round(4, 4);
            p.roundEnded();
        }
        assertEquals(50.0 / 16.0, p.predictedSpeedup(), 1e-9);
    }

    private static int plainStepsUntilProbe(SpeculationPolicy p) {
        int n = 0;
        while (!p.speculate()) {
            p.plainStep(10);
            n++;
        }
        return n;
    }
}
