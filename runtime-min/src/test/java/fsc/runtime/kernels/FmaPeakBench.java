package fsc.runtime.kernels;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The FMA ceiling of one core as the JIT reaches it: twelve independent accumulator chains of
 * {@code FloatVector.fma} on registers only (no loads), so the loop is bound by the FMA ports
 * (latency 4, two ports on server cores: eight chains saturate them, twelve leave slack). A
 * micro benchmark main, not a test; it reports thread CPU time, which a busy shared machine does not
 * inflate. Run: {@code java --add-modules jdk.incubator.vector -cp
 * runtime-min/target/classes:runtime-min/target/test-classes fsc.runtime.kernels.FmaPeakBench}.
 */
public final class FmaPeakBench {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FmaPeakBench() {}

    public static void main(String[] args) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long iters = 20_000_000;
        float sink = 0;
        for (int w = 0; w < 3; w++) {
            sink += chains(iters / 10, 1.0000001f);
        }
        double best = Double.MAX_VALUE;
        for (int trial = 0; trial < 5; trial++) {
            long c0 = mx.getCurrentThreadCpuTime();
            sink += chains(iters, 1.0000001f);
            best = Math.min(best, mx.getCurrentThreadCpuTime() - c0);
        }
        double flops = 12.0 * 2 * S.length() * iters;
        System.out.printf(
                "species %d-bit: %.1f GFLOP/s per core (thread CPU time; 12 FMA chains)  [sink %s]%n",
                S.vectorBitSize(), flops / best, sink > 0 ? "+" : "-");
    }

    private static float chains(long iters, float m) {
        FloatVector x = FloatVector.broadcast(S, m);
        FloatVector y = FloatVector.broadcast(S, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(S, 0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1)
                .add(a2)
                .add(a3)
                .add(a4)
                .add(a5)
                .add(a6)
                .add(a7)
                .add(a8)
                .add(a9)
                .add(a10)
                .add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
