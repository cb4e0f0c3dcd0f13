package fsc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Steady-state allocation of repeated calls, for every module's steady-state tests (through this
 * module's test jar): windows of 100 calls, each after its warm-up calls, until one allocates at
 * most the limit on the calling thread, or 30 windows have passed and 30 seconds (at most 90): C2
 * compiles in the background, late on a busy machine.
 *
 * <p>Which code C2 gives a Vector API kernel depends on what ran before it in the JVM: the JDK's
 * vector and memory-segment methods keep one type profile for all their callers, and once other
 * tests' species, masks and segment kinds have gone through them, C2 sometimes leaves a vector load
 * or a {@code max} to the API's allocating Java fallback ({@code MaxPool2d} did in one CI run of its
 * module, 43 KB a call; a program that runs masked loads of five species first reproduces it). So a
 * test that sees allocation measures again in a fresh JVM ({@link #inFreshJvm}) and fails only when
 * both allocate, as code that always boxes does ({@link #assertSteady}).
 */
public final class AllocationWindows {
    /** How long windows go on past the 30th, up to 90. */
    static final long PATIENCE_NANOS = 30_000_000_000L;

    private AllocationWindows() {}

    /** The windows measured; the last is at most {@code limit} unless every one allocated more. */
    public static List<Long> measure(Runnable call, int warmCalls, long limit) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated = Long.MAX_VALUE;
        List<Long> windows = new ArrayList<>();
        long start = System.nanoTime();
        for (int round = 0;
                allocated > limit && (round < 30 || round < 90 && System.nanoTime() - start < PATIENCE_NANOS);
                round++) {
            for (int i = 0; i < warmCalls; i++) {
                call.run();
            }
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100; i++) {
                call.run();
            }
            allocated = mx.getCurrentThreadAllocatedBytes() - before;
            windows.add(allocated);
        }
        return windows;
    }

    /** Prints {@code windows} as the line {@link #inFreshJvm} reads: a fresh JVM's {@code main} ends with this. */
    public static void print(List<Long> windows) {
        System.out.println("windows: " + windows);
    }

    /**
     * Runs {@code main} with {@code args} in a fresh JVM on this JVM's class path (the Vector API and
     * native access enabled) and returns the windows it {@link #print}s.
     */
    public static List<Long> inFreshJvm(Class<?> main, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "the fresh JVM did not finish");
        assertEquals(0, p.exitValue(), log);
        String line = log.lines()
                .filter(l -> l.startsWith("windows: ["))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no windows in the fresh JVM's output: " + log));
        return Arrays.stream(
                        line.substring("windows: [".length(), line.length() - 1).split(", "))
                .map(Long::parseLong)
                .toList();
    }

    /**
     * Fails unless the last of {@code here} is at most {@code limit} or, when it is not, the last of
     * the windows {@code fresh} measures in a fresh JVM.
     */
    public static void assertSteady(String label, List<Long> here, long limit, Callable<List<Long>> fresh)
            throws Exception {
        System.out.println(label + ": steady state, bytes per 100 calls by window: " + here);
        if (here.getLast() <= limit) {
            return;
        }
        List<Long> again = fresh.call();
        assertTrue(
                again.getLast() <= limit,
                label + ": 100 steady-state calls allocated " + here.getLast() + " bytes in this JVM (windows: " + here
                        + ") and " + again.getLast() + " in a fresh one (windows: " + again + ")");
        System.out.println(label + ": this JVM's code shape allocates; a fresh JVM's does not: " + again);
    }
}
