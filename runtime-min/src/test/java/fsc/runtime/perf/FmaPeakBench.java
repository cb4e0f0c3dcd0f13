package fsc.runtime.perf;

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
        System.out.printf(
                "%d lanes: %.1f GFLOP/s per core (thread CPU time; %d FMA chains)%n",
                FmaPeak.lanes(), FmaCeiling.threadCpuGflops(20_000_000, 5), FmaPeak.CHAINS);
    }
}
