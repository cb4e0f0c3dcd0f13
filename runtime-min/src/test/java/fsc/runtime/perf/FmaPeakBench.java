package fsc.runtime.perf;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The FMA ceiling of one core as the JIT reaches it, by thread CPU time: {@link FmaPeak}'s kernel
 * (twelve independent {@code FloatVector.fma} chains on registers only) on the calling thread. Where
 * {@code fsc peaks} reports wall time across threads, this leaves out the time a busy shared machine
 * spends running other processes. A micro benchmark main, not a test. Run: {@code java --add-modules
 * jdk.incubator.vector -cp runtime-min/target/classes:runtime-min/target/test-classes
 * fsc.runtime.perf.FmaPeakBench}.
 */
public final class FmaPeakBench {
    private FmaPeakBench() {}

    public static void main(String[] args) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int iterations = 20_000_000;
        float sink = 0;
        for (int w = 0; w < 3; w++) {
            sink += FmaPeak.kernel(iterations / 10, 1.0000001f);
        }
        long best = Long.MAX_VALUE;
        for (int trial = 0; trial < 5; trial++) {
            long c0 = mx.getCurrentThreadCpuTime();
            sink += FmaPeak.kernel(iterations, 1.0000001f);
            best = Math.min(best, mx.getCurrentThreadCpuTime() - c0);
        }
        System.out.printf(
                "%d lanes: %.1f GFLOP/s per core (thread CPU time; %d FMA chains)  [sink %s]%n",
                FmaPeak.lanes(), FmaPeak.flops(iterations) / best, FmaPeak.CHAINS, sink > 0 ? "+" : "-");
    }
}
