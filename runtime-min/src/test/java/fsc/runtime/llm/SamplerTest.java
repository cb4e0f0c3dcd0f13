package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.RuntimeFailure;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1f, 5f, 3f, 5f, -2f, 4.5f};

    @Test
    void greedyTakesTheLowestIdAmongTheLargest() {
        assertEquals(1, new Sampler(SamplingParams.greedy()).sample(LOGITS, 0, LOGITS.length));
        assertEquals(2, Sampler.argmax(new float[] {9f, 0f, 1f, 7f}, 1, 3) + 0);
    }

    @Test
    void topKOneIsGreedyWhateverTheSeed() {
        for (long seed = 0; seed < 20; seed++) {
            Sampler s = new Sampler(new SamplingParams(1.5f, 1, 1f, seed));
            assertEquals(1, s.sample(LOGITS, 0, LOGITS.length));
        }
    }

    @Test
    void topKAndTopPLimitTheCandidates() {
        Set<Integer> seen = new HashSet<>();
        Sampler s = new Sampler(new SamplingParams(1f, 3, 1f, 42));
        for (int i = 0; i < 500; i++) {
            seen.add(s.sample(LOGITS, 0, LOGITS.length));
        }
        assertEquals(Set.of(1, 3, 5), seen);
        // Top-p 0.5: ids 1 and 3 hold ~0.38 each, so both and nothing else are needed to reach 0.5.
        seen.clear();
        Sampler p = new Sampler(new SamplingParams(1f, 0, 0.5f, 42));
        for (int i = 0; i < 500; i++) {
            seen.add(p.sample(LOGITS, 0, LOGITS.length));
        }
        assertEquals(Set.of(1, 3), seen);
    }

    @Test
    void theSeedMakesRunsReproducible() {
        int[] a = draw(7);
        int[] b = draw(7);
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(draw(8)));
    }

    private static int[] draw(long seed) {
        Sampler s = new Sampler(new SamplingParams(2f, 0, 1f, seed));
        int[] out = new int[64];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.sample(LOGITS, 0, LOGITS.length);
        }
        return out;
    }

    @Test
    void badParametersAreUserErrors() {
        assertThrows(RuntimeFailure.class, () -> new SamplingParams(-1f, 0, 1f, 0));
        assertThrows(RuntimeFailure.class, () -> new SamplingParams(1f, -1, 1f, 0));
        assertThrows(RuntimeFailure.class, () -> new SamplingParams(1f, 0, 0f, 0));
        assertTrue(SamplingParams.greedy().isGreedy());
    }
}
