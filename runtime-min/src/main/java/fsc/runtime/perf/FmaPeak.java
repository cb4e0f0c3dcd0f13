package fsc.runtime.perf;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Peak f32 FMA throughput of this machine as the Vector API reaches it: every thread runs twelve
 * independent chains {@code acc_i = x * y + acc_i} on the widest float vector. Twelve chains cover
 * an FMA latency of 4 cycles on two FMA ports (8 in flight) with room to spare, and fit the 32
 * vector registers of AVX-512, so the loop is bound by FMA issue alone: the same microkernel shape
 * as the "peak FLOPS" loops of uarch-bench or Agner Fog's tests. Each FMA counts as 2 FLOPs per lane.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** FMAs per loop iteration per thread (the independent chains). */
    static final int CHAINS = 12;

    private FmaPeak() {}

    /** FLOPs one call of {@link #kernel} performs. */
    static double flops(int iterations) {
        return 2.0 * F.length() * CHAINS * iterations;
    }

    /**
     * Best GFLOP/s over {@code trials} simultaneous runs of {@code iterations} loop iterations on
     * each of {@code threads} threads. The first trials also serve as the JIT's warm-up; the best one
     * is kept, as STREAM keeps its best time.
     */
    public static double gflops(int threads, int iterations, int trials) {
        if (threads < 1 || iterations < 1 || trials < 1) {
            throw new IllegalArgumentException("threads, iterations and trials must be positive");
        }
        // Compile the kernel before timing: short calls until C2 has seen the loop.
        for (int i = 0; i < 200; i++) {
            Team.sink = kernel(2_000, 1.0f + i * 1e-7f);
        }
        long best = Long.MAX_VALUE;
        for (int t = 0; t < trials; t++) {
            best = Math.min(best, Team.run(threads, id -> kernel(iterations, 1.0f + id * 1e-7f)));
        }
        return flops(iterations) * threads / best;
    }

    /** The microkernel; returns the sum of the accumulators so the work is observable. */
    static float kernel(int iterations, float seed) {
        FloatVector x = FloatVector.broadcast(F, 0.999999f);
        FloatVector y = FloatVector.broadcast(F, 1e-7f * seed);
        FloatVector a0 = FloatVector.broadcast(F, seed);
        FloatVector a1 = a0.add(1f);
        FloatVector a2 = a0.add(2f);
        FloatVector a3 = a0.add(3f);
        FloatVector a4 = a0.add(4f);
        FloatVector a5 = a0.add(5f);
        FloatVector a6 = a0.add(6f);
        FloatVector a7 = a0.add(7f);
        FloatVector a8 = a0.add(8f);
        FloatVector a9 = a0.add(9f);
        FloatVector a10 = a0.add(10f);
        FloatVector a11 = a0.add(11f);
        for (int i = 0; i < iterations; i++) {
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
        FloatVector s = a0.add(a1)
                .add(a2)
                .add(a3)
                .add(a4)
                .add(a5)
                .add(a6)
                .add(a7)
                .add(a8)
                .add(a9)
                .add(a10)
                .add(a11);
        return s.reduceLanes(VectorOperators.ADD);
    }

    /** Lanes of the vector the kernel uses (16 with AVX-512). */
    public static int lanes() {
        return F.length();
    }
}
