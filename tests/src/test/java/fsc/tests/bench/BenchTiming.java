package fsc.tests.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;

/**
 * The timing loop the engine-vs-engine benches share: warm-up calls, then the wall and
 * calling-thread CPU nanoseconds of each timed call, and the statistics their tables print.
 */
public final class BenchTiming {
    /** One call of an engine. */
    @FunctionalInterface
    public interface Call {
        void run() throws Exception;
    }

    private BenchTiming() {}

    /** Calls per window of {@link #warmUntilJitSettles}. */
    static final int SETTLE_WINDOW = 20;

    /**
     * At least {@code minCalls} untimed calls, then more in windows of {@value #SETTLE_WINDOW} until two
     * windows in a row in which HotSpot's compiler threads ran for at most 2% of the window's wall
     * time, or until {@code maxCalls} calls or {@code maxSeconds} have passed; returns the number of
     * calls made. Why: a compiled model's generated methods (one per node, each called once per
     * inference) reach C2 one by one, and on a 2-vCPU machine the compiler thread takes one of the
     * two cores a two-thread call needs; a fixed count of 150 calls left C2 compiling through the
     * timed rounds (measured by {@link ThreadTimes}: 12–26 ms of compiler CPU per MiniLM call in
     * every round), which made the two-thread rounds bimodal. Users' processes reach the steady state
     * too; this measures it instead of the warm-up. The compilers' CPU comes from Linux's per-thread
     * counters ({@link ThreadTimes#jitCpuNanos}), which also see a compilation still running;
     * elsewhere from {@code CompilationMXBean}, which counts finished ones only.
     */
    public static int warmUntilJitSettles(int minCalls, int maxCalls, double maxSeconds, Call call) throws Exception {
        long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
        CompilationMXBean mx = ManagementFactory.getCompilationMXBean();
        boolean linux = ThreadTimes.jitCpuNanos() >= 0;
        boolean timed = linux || (mx != null && mx.isCompilationTimeMonitoringSupported());
        int calls = 0;
        int quiet = 0;
        for (; calls < minCalls; calls++) {
            call.run();
        }
        while (timed && calls < maxCalls && System.nanoTime() < deadline) {
            long c0 = linux ? ThreadTimes.jitCpuNanos() : mx.getTotalCompilationTime() * 1_000_000L;
            long t0 = System.nanoTime();
            for (int i = 0; i < SETTLE_WINDOW; i++, calls++) {
                call.run();
            }
            long wall = System.nanoTime() - t0;
            long jit = (linux ? ThreadTimes.jitCpuNanos() : mx.getTotalCompilationTime() * 1_000_000L) - c0;
            quiet = jit <= 0.02 * wall ? quiet + 1 : 0;
            if (quiet == 2) {
                break;
            }
        }
        return calls;
    }

    /** {@code warmup} untimed calls, then {@code {wall[], cpu[]}} nanoseconds of {@code runs} calls. */
    public static long[][] time(int warmup, int runs, Call call) throws Exception {
        for (int i = 0; i < warmup; i++) {
            call.run();
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[] t = new long[runs];
        long[] cpu = new long[runs];
        for (int i = 0; i < runs; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            call.run();
            t[i] = System.nanoTime() - t0;
            cpu[i] = mx.getCurrentThreadCpuTime() - c0;
        }
        return new long[][] {t, cpu};
    }

    /** The median of unsorted nanoseconds, in milliseconds ({@link MiniLmVsOrtBench#pct}'s rank). */
    public static double median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return MiniLmVsOrtBench.pct(s, 50);
    }

    /** Every block's timings in one sorted array. */
    public static long[] pooled(List<long[]> blocks) {
        long[] all = blocks.stream().flatMapToLong(Arrays::stream).toArray();
        Arrays.sort(all);
        return all;
    }
}
