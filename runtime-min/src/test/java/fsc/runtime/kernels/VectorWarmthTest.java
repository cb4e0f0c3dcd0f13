package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which cold runs of a {@link VectorWarmth} take the vector code, and what makes it warm. */
class VectorWarmthTest {
    /** The 1-based runs among the first {@code runs} that {@code sample()} sends to the vector code. */
    private static List<Integer> sampled(VectorWarmth w, int runs) {
        List<Integer> out = new ArrayList<>();
        for (int r = 1; r <= runs; r++) {
            if (w.sample()) {
                out.add(r);
            }
        }
        return out;
    }

    @Test
    void fromTheFirstSampleOneRunInThirtyTwoTakesTheVectorCode() {
        assertEquals(List.of(128, 160, 192), sampled(new VectorWarmth(5), 200));
    }

    @Test
    void pastItsTwinRunsEveryRunTakesTheVectorCode() {
        assertEquals(List.of(4, 5, 6, 7), sampled(VectorWarmth.firstRuns(3), 7));
        assertEquals(List.of(128, 160, 192, 200, 201), sampled(VectorWarmth.firstRuns(199), 201));
    }

    @Test
    void firstRunsIsNeverWarmedByATimedRun() {
        VectorWarmth w = VectorWarmth.firstRuns(8);
        w.timed(0, 1);
        boolean coldStart = !"false".equals(System.getProperty("fsc.coldStart"));
        assertEquals(!coldStart, w.warm());
    }

    @Test
    void aTimedRunUnderTheThresholdWarmsItAndOneOverDoesNot() {
        VectorWarmth w = new VectorWarmth(5);
        w.timed(60, 10); // 6 ns per unit: still cold (unless the JVM starts every kernel warm)
        w.timed(1_000, 0); // no work: says nothing
        boolean coldStart = !"false".equals(System.getProperty("fsc.coldStart"));
        assertEquals(!coldStart, w.warm());
        w.timed(40, 10);
        assertTrue(w.warm());
    }

    @Test
    void aKernelTooShortToTimeTurnsWarmAfterItsLastSample() {
        VectorWarmth w = new VectorWarmth(5);
        boolean coldStart = !"false".equals(System.getProperty("fsc.coldStart"));
        for (int i = 1; i < VectorWarmth.MAX_SAMPLES; i++) {
            w.timed(1_000, 1); // 1,000 ns per unit: never fast enough
        }
        assertEquals(!coldStart, w.warm());
        w.timed(1_000, 1);
        assertTrue(w.warm());
    }

    /**
     * {@code -Dfsc.coldStart=always} (the packaged launcher's one-call runs): no kernel samples its
     * vector code, in a JVM started with it (the mode is read once per process).
     */
    @Test
    void alwaysColdNeverSamples() throws Exception {
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--add-modules",
                        "jdk.incubator.vector",
                        "-Dfsc.coldStart=always",
                        "-cp",
                        System.getProperty("java.class.path"),
                        AlwaysColdProbe.class.getName())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe JVM did not finish");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("sampled [] [] [] warm false"), out);
    }

    /** Prints which of 3,000 runs three kinds of kernel sample, and whether one is warm after. */
    static final class AlwaysColdProbe {
        public static void main(String[] args) {
            VectorWarmth perRun = new VectorWarmth(5);
            VectorWarmth firstRuns = VectorWarmth.firstRuns(3);
            VectorWarmth prewarmed = VectorWarmth.prewarmed(5);
            System.out.println("sampled " + sampled(perRun, 3000) + " " + sampled(firstRuns, 3000) + " "
                    + sampled(prewarmed, 3000) + " warm " + perRun.warm());
        }
    }

    @Test
    void coldUntilStopsAtTheFirstSampledRun() {
        VectorWarmth w = new VectorWarmth(5);
        assertEquals(127, w.coldUntil(0, 200)); // the 128th run is the first sample
        assertEquals(159, w.coldUntil(128, 200)); // then one in 32
        assertEquals(170, w.coldUntil(160, 170)); // none sampled before the end
    }
}
