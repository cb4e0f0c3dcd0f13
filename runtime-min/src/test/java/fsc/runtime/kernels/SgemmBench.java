package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import fsc.runtime.perf.FmaCeiling;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * GFLOP/s of {@link Sgemm} on MiniLM's GEMM shapes (a micro benchmark main, not a test). Run with
 * the test classpath: {@code java --add-modules jdk.incubator.vector -cp
 * runtime-min/target/classes:runtime-min/target/test-classes fsc.runtime.kernels.SgemmBench [threads]}.
 */
public final class SgemmBench {
    private static double ceiling;
    private static int threads;

    private SgemmBench() {}

    public static void main(String[] args) {
        threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 256; // B*S
        System.out.printf(
                "species %d-bit, panel %d columns, threads %d%n", Sgemm.S.vectorBitSize(), Sgemm.panelWidth(), threads);
        ceiling = FmaCeiling.threadCpuGflops(20_000_000, 5);
        System.out.printf("FMA ceiling (FmaPeak's loop, this thread's CPU time): %.1f GFLOP/s%n", ceiling);
        try (Parallelism par = Parallelism.of(threads)) {
            // The register tile's own ceiling: one panel (B's 32 KB in L1 for every tile), A from L2.
            packed(par, rows, Sgemm.panelWidth(), Sgemm.KC);
            packed(par, rows, 384, 384);
            packed(par, rows, 1536, 384);
            packed(par, rows, 384, 1536);
            // As in the model: B from memory (rotated through ~48 MB of copies), bias, GELU.
            model(par, rows, 384, 384, GemmEpilogue.Activation.NONE);
            model(par, rows, 1536, 384, GemmEpilogue.Activation.NONE);
            model(par, rows, 1536, 384, GemmEpilogue.Activation.GELU);
            model(par, rows, 384, 1536, GemmEpilogue.Activation.NONE);
            // Attention per head: S x 32 · (S x 32)^T, then S x S · S x 32.
            unpacked(par, 128, 128, 32, true);
            unpacked(par, 128, 32, 128, false);
        }
        System.out.printf("FMA ceiling again: %.1f GFLOP/s%n", FmaCeiling.threadCpuGflops(20_000_000, 5));
    }

    private static void packed(Parallelism par, int m, int n, int k) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, (long) m * k);
            MemorySegment b = random(arena, (long) k * n);
            MemorySegment pb = arena.allocate(Sgemm.packedBytes(k, n), 64);
            MemorySegment c = arena.allocate((long) m * n * 4, 64);
            Sgemm.packB(b, 0, k, n, true, pb, 0);
            Runnable call = () -> Sgemm.gemmPacked(m, n, k, a, 0, k, pb, 0, c, 0, n, false, par);
            report("packed   [" + m + "," + k + "]x[" + k + "," + n + "]", m, n, k, call);
        }
    }

    /**
     * A linear layer as MiniLM runs it: weights rotated through copies that together exceed the
     * caches (each call reads its B from memory), a bias, and the activation.
     */
    private static void model(Parallelism par, int m, int n, int k, GemmEpilogue.Activation act) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, (long) m * k);
            MemorySegment b = random(arena, (long) k * n);
            MemorySegment bias = random(arena, n);
            long bytes = Sgemm.packedBytes(k, n);
            int copies = (int) Math.max(2, (48L << 20) / bytes);
            MemorySegment pb = arena.allocate(bytes * copies, 64);
            for (int i = 0; i < copies; i++) {
                Sgemm.packB(b, 0, k, n, true, pb, i * bytes);
            }
            MemorySegment c = arena.allocate((long) m * n * 4, 64);
            GemmEpilogue e = GemmEpilogue.of(bias, 0, act);
            int[] next = {0};
            Runnable call = () -> {
                long off = (next[0]++ % copies) * bytes;
                Sgemm.gemmPacked(m, n, k, a, 0, k, pb, off, c, 0, n, false, e, par);
            };
            report("cold B + bias " + act + " [" + m + "," + k + "]x[" + k + "," + n + "]", m, n, k, call);
        }
    }

    private static void unpacked(Parallelism par, int m, int n, int k, boolean transB) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, (long) m * k);
            MemorySegment b = random(arena, (long) k * n);
            MemorySegment c = arena.allocate((long) m * n * 4, 64);
            long ldb = transB ? k : n;
            Runnable call = () -> Sgemm.gemm(m, n, k, a, 0, k, false, b, 0, ldb, transB, c, 0, n, 1f, false, par);
            report("unpacked [" + m + "," + k + "]x[" + k + "," + n + "]" + (transB ? " transB" : ""), m, n, k, call);
        }
    }

    private static void report(String name, int m, int n, int k, Runnable call) {
        double flops = 2.0 * m * n * k;
        int reps = (int) Math.max(2, 2e8 / flops);
        for (int i = 0; i < 10 * reps; i++) {
            call.run(); // warm up: C2 compiles the kernels
        }
        // CPU time of this thread as well as wall time: on a shared, busy machine the wall clock
        // counts time the thread was not running. (CPU time ignores the workers when threads > 1.)
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double best = Double.MAX_VALUE;
        double bestCpu = Double.MAX_VALUE;
        // Many short trials, best kept: on a shared machine the best trial is the one least disturbed.
        for (int trial = 0; trial < 20; trial++) {
            long t0 = System.nanoTime();
            long c0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < reps; i++) {
                call.run();
            }
            bestCpu = Math.min(bestCpu, (mx.getCurrentThreadCpuTime() - c0) / (double) reps);
            best = Math.min(best, (System.nanoTime() - t0) / (double) reps);
        }
        // At more than one thread the CPU figure is the caller's share only, so no percentage.
        System.out.printf(
                "%-52s %8.1f us  %6.1f GFLOP/s wall  %6.1f GFLOP/s cpu  %s%n",
                name,
                best / 1e3,
                flops / best,
                flops / bestCpu,
                threads == 1 ? String.format("%3.0f%% of ceiling", 100 * flops / bestCpu / ceiling) : "");
    }

    private static MemorySegment random(Arena arena, long floats) {
        Random rnd = new Random(7);
        MemorySegment s = arena.allocate(floats * 4, 64);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, rnd.nextFloat() - 0.5f);
        }
        return s;
    }
}
