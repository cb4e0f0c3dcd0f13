package fsc.tests.bench;

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
