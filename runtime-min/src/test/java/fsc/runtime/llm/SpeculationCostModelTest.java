package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SpeculationCostModelTest {
    @Test
    void noPredictionUntilEveryCostIsMeasured() {
        SpeculationCostModel m = new SpeculationCostModel();
        m.plainStep(10);
        m.roundTime(14);
        assertFalse(m.measured());
        assertTrue(Double.isNaN(m.predictedSpeedup(4)));
        m.round(3, 4);
        assertTrue(m.measured());
    }

    @Test
    void expectedTokensPerRoundFollowTheGeometricSeries() {
        SpeculationCostModel m = new SpeculationCostModel();
        m.round(4, 4);
        assertEquals(5.0, m.tokensPerRound(4), 1e-12, "everything accepted: k + 1");
        SpeculationCostModel half = new SpeculationCostModel();
        half.round(2, 4); // a = 0.5
        assertEquals((1 - Math.pow(0.5, 5)) / 0.5, half.tokensPerRound(4), 1e-12);
        SpeculationCostModel none = new SpeculationCostModel();
        none.round(0, 4);
        assertEquals(1.0, none.tokensPerRound(4), 1e-12, "nothing accepted: the target's own token");
    }

    @Test
    void aCheapDraftThatAgreesPaysAndAnExpensiveOneDoesNot() {
        SpeculationCostModel cheap = new SpeculationCostModel();
        cheap.plainStep(10);
        cheap.roundTime(16); // four 1 ms draft steps and a 12 ms verification
        cheap.round(4, 4);
        assertEquals(50.0 / 16.0, cheap.predictedSpeedup(4), 1e-12, "5 tokens in 16 ms against 10 ms a token");

        SpeculationCostModel dear = new SpeculationCostModel();
        dear.plainStep(10);
        dear.roundTime(49); // four 6 ms draft steps and a 25 ms verification
        dear.round(1, 4);
        assertTrue(dear.predictedSpeedup(4) < 1, "predicted " + dear.predictedSpeedup(4));
    }

    @Test
    void measurementsAreRunningAverages() {
        SpeculationCostModel m = new SpeculationCostModel();
        m.round(4, 4);
        m.round(0, 4);
        assertEquals(0.75, m.acceptance(), 1e-12, "1 + 0.25 * (0 - 1)");
    }
}
