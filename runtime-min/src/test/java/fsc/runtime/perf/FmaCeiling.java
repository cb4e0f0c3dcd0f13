package fsc.runtime.perf;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * {@link FmaPeak}'s loop on the calling thread alone, timed by the thread's CPU time rather than the
 * wall clock, for micro benchmarks that compare a kernel with the FMA ceiling on a shared machine: a
 * preemption then costs neither side, so the ratio of the two stays meaningful under load.
 */
public final class FmaCeiling {
    private FmaCeiling() {}

    /** Best GFLOP/s of the calling thread over {@code trials} runs of {@code iterations} iterations. */
    public static double threadCpuGflops(int iterations, int trials) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 200; i++) {
            Team.sink = FmaPeak.kernel(2_000, 1.0f + i * 1e-7f);
        }
        long best = Long.MAX_VALUE;
        for (int t = 0; t < trials; t++) {
            long c0 = mx.getCurrentThreadCpuTime();
            Team.sink = FmaPeak.kernel(iterations, 1.0f + t * 1e-7f);
            best = Math.min(best, mx.getCurrentThreadCpuTime() - c0);
        }
        return FmaPeak.flops(iterations) / best;
    }
}
