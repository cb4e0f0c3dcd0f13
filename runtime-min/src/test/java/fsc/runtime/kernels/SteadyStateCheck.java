package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Steady-state allocation of a kernel's calls: windows of 100 calls after 2,000 warm-up calls each,
 * until one allocates at most {@link #LIMIT} bytes on the calling thread, or 30 windows have passed
 * and 30 seconds (at most 90 windows).
 *
 * <p>Which code C2 gives a Vector API kernel depends on what ran before it in the JVM: the JDK's
 * vector and memory-segment methods keep one type profile for all their callers, and once other
 * species' masks or other segment kinds have gone through them, C2 sometimes compiles a kernel with
 * a vector load or a {@code max} left to the API's Java fallback, which allocates on every call
 * ({@code MaxPool2d} did, 43 KB per call, in one CI run of the whole module; a program that runs
 * masked loads of five species first reproduces it). So when this JVM's steady state allocates, the
 * same check runs in a fresh JVM, and the test fails only when both allocate, as a kernel that always
 * boxes does. The fresh JVM builds its call with {@code owner.factory(String arg, Arena arena)}.
 */
final class SteadyStateCheck {
    /** How long windows go on past the 30th, up to 90: C2 compiles late on a busy machine. */
    static final long PATIENCE_NANOS = 30_000_000_000L;

    static final long LIMIT = 1024;

    private SteadyStateCheck() {}

    /** The windows measured; the last is at most {@link #LIMIT} unless every one allocated more. */
    static List<Long> windows(Runnable call) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated = Long.MAX_VALUE;
        List<Long> windows = new ArrayList<>();
        long start = System.nanoTime();
        for (int round = 0;
                allocated > LIMIT && (round < 30 || round < 90 && System.nanoTime() - start < PATIENCE_NANOS);
                round++) {
            for (int i = 0; i < 2000; i++) {
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

    /**
     * Fails unless {@code call}'s steady state allocates at most {@link #LIMIT} bytes per 100 calls
     * in this JVM or, when it does not here, in a fresh JVM running {@code owner.factory(arg, arena)}.
     */
    static void assertSteady(String label, Runnable call, Class<?> owner, String factory, String arg)
            throws IOException, InterruptedException {
        List<Long> windows = windows(call);
        if (windows.getLast() <= LIMIT) {
            return;
        }
        System.out.println(label + ": this JVM's steady state allocates " + windows.getLast()
                + " bytes per 100 calls (windows: " + windows + "); checking a fresh JVM");
        List<String> cmd = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                SteadyStateCheck.class.getName(),
                owner.getName(),
                factory,
                arg);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the fresh JVM did not finish");
        assertEquals(0, p.exitValue(), log);
        String line = log.lines()
                .filter(l -> l.startsWith("windows: ["))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no windows in the fresh JVM's output: " + log));
        String[] fresh =
                line.substring("windows: [".length(), line.length() - 1).split(", ");
        long last = Long.parseLong(fresh[fresh.length - 1]);
        assertTrue(
                last <= LIMIT,
                label + ": 100 steady-state calls allocated " + windows.getLast() + " bytes in this JVM (windows: "
                        + windows + ") and " + last + " in a fresh one (" + line + ")");
        System.out.println(label + ": a fresh JVM's steady state allocates nothing (" + line + ")");
    }

    /** {@code OWNER FACTORY ARG}: prints the windows of {@code OWNER.FACTORY(ARG, arena)}'s calls. */
    public static void main(String[] args) throws ReflectiveOperationException {
        Class<?> owner = Class.forName(args[0]);
        var factory = owner.getDeclaredMethod(args[1], String.class, Arena.class);
        factory.setAccessible(true);
        try (Arena arena = Arena.ofConfined()) {
            Runnable call = (Runnable) factory.invoke(null, args[2], arena);
            System.out.println("windows: " + windows(call));
        }
    }
}
