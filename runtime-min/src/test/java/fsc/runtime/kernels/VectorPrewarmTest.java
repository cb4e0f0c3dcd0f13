package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The heating thread heats the kernels it owns until C2 has compiled their vector code (each flag
 * turns warm) and then stops, well inside its cap; while it heats, those kernels take no samples on
 * the caller's thread. Where the JVM has one CPU or starts every kernel warm it does not run.
 */
class VectorPrewarmTest {
    @Test
    void heatsItsKernelsWarmThenStops() throws InterruptedException {
        boolean enabled = Runtime.getRuntime().availableProcessors() > 1
                && !"false".equals(System.getProperty("fsc.coldStart"))
                && !"false".equals(System.getProperty("fsc.prewarm"));
        boolean heating = VectorPrewarm.begin();
        if (!enabled) {
            assertFalse(heating, "no heating thread without a second CPU or cold start");
            return;
        }
        if (heating) {
            assertFalse(Attention.ROWS_WARMTH.sample(), "no sample on the caller's thread while heating");
        }
        long deadline = System.nanoTime() + (VectorPrewarm.HEAT_SECONDS + 10) * 1_000_000_000L;
        while (VectorPrewarm.heating() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(VectorPrewarm.heating(), "still heating past its cap");
        assertTrue(Attention.ROWS_WARMTH.warm(), "attention rows warm");
        assertTrue(AttentionHeads.WARMTH.warm(), "blocked attention warm");
        assertTrue(FloatMath.LAYER_NORM_WARMTH.warm(), "layer norm warm");
    }
}
