package fsc.cli.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.RuntimeFailure;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LoadSpecTest {
    @Test
    void logUniformLengthsStayInTheRangeAndAreHeavyTailed() {
        LoadSpec.Range r = LoadSpec.Range.parse("8..512");
        SplittableRandom rnd = new SplittableRandom(3);
        int[] uniform = new int[20_000];
        int[] logUniform = new int[20_000];
        for (int i = 0; i < uniform.length; i++) {
            uniform[i] = r.draw(rnd, false);
            logUniform[i] = r.draw(rnd, true);
        }
        for (int[] v : List.of(uniform, logUniform)) {
            assertTrue(Arrays.stream(v).allMatch(x -> x >= 8 && x <= 512));
        }
        Arrays.sort(uniform);
        Arrays.sort(logUniform);
        // Log-uniform over 8..512: median near sqrt(8 * 512) = 64, and as many draws below 64 as above.
        assertEquals(64, logUniform[logUniform.length / 2], 6);
        assertEquals(260, uniform[uniform.length / 2], 15);
        assertTrue(logUniform[logUniform.length - 1] > 480, "the tail reaches the top of the range");
    }

    @Test
    void classValuesNameTheOptionInTheirErrors() {
        assertEquals(
                Map.of("interactive", 1000.0, "batch", 60000.0),
                LoadSpec.parseClassValues("interactive=1000,batch=60000", "--ttft-slo-ms"));
        RuntimeFailure e =
                assertThrows(RuntimeFailure.class, () -> LoadSpec.parseClassValues("fast=3", "--ttft-slo-ms"));
        assertTrue(e.getMessage().startsWith("--ttft-slo-ms"), e.getMessage());
        assertThrows(RuntimeFailure.class, () -> LoadSpec.parseMix("interactive=0,batch=0"));
    }

    @Test
    void goodputCountsCompletedRequestsWithinTheirClassObjective() {
        List<RequestResult> rs = List.of(
                result("interactive", "ok", 900),
                result("interactive", "ok", 1100),
                result("batch", "ok", 30_000),
                result("batch", "rejected", 1),
                result("interactive", "disconnected", 10));
        assertEquals(2, Summary.good(rs, Map.of("interactive", 1000.0, "batch", 60_000.0)));
        assertEquals(3, Summary.good(rs, Map.of()));
    }

    @Test
    void windowThroughputCountsOnlyTokensReceivedWhileSending() {
        // First token at 100 ms, then one every 50 ms: 100, 150, 200, 250.
        RequestResult r = new RequestResult("batch", 10, 4, 0, "ok", 200, 4, 100, 260, new double[] {50, 50, 50}, null);
        assertEquals(3, Summary.tokensBefore(List.of(r), 200));
        assertEquals(4, Summary.tokensBefore(List.of(r), 1000));
        assertEquals(0, Summary.tokensBefore(List.of(result("batch", "rejected", Double.NaN)), 1000));
    }

    private static RequestResult result(String priority, String outcome, double ttftMs) {
        return new RequestResult(priority, 10, 20, 0, outcome, 200, 5, ttftMs, 2 * ttftMs, new double[0], null);
    }
}
