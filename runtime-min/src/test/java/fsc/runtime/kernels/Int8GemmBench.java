package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * GOP/s (2 per multiply-add) of {@link Int8Gemm} on MiniLM's shapes, beside {@link Sgemm} on the
 * same shapes in the same run (a micro benchmark main, not a test). Run with the test classpath:
 * {@code java --add-modules jdk.incubator.vector -cp runtime-min/target/classes:runtime-min/target/test-classes
 * fsc.runtime.kernels.Int8GemmBench [threads] [rows]}.
 */
public final class Int8GemmBench {
    private Int8GemmBench() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        System.out.printf(
                "species %d-bit, panel %d columns, threads %d%n", Int8Gemm.FS.vectorBitSize(), Int8Gemm.NR, threads);
        try (Parallelism par = Parallelism.of(threads)) {
            for (int[] s : new int[][] {{384, 384}, {1536, 384}, {384, 1536}}) {
                int n = s[0];
                int k = s[1];
                int8(par, rows, n, k);
                sgemm(par, rows, n, k);
            }
        }
    }

    private static void int8(Parallelism par, int m, int n, int k) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = bytes(arena, (long) m * k);
            MemorySegment b = bytes(arena, (long) k * n);
            MemorySegment pb = arena.allocate(Int8Gemm.packedBytes(k, n), 64);
            Int8Gemm.packB(b, 0, k, n, pb, 0);
            MemorySegment scale = arena.allocate(4L * n, 64);
            MemorySegment bias = arena.allocate(4L * n, 64);
            MemorySegment y = arena.allocate(4L * m * n, 64);
            Runnable call = () -> Int8Gemm.gemm(
                    m, n, k, a, 0, true, 117, pb, 0, MemorySegment.NULL, 0, y, 0, scale, 0, true, 0.02f, bias, 0, par);
            report("int8 u8xs8 [" + m + "," + k + "]x[" + k + "," + n + "]", m, n, k, call);
        }
    }

    private static void sgemm(Parallelism par, int m, int n, int k) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = bytes(arena, (long) m * k * 4);
            MemorySegment b = bytes(arena, (long) k * n * 4);
            MemorySegment pb = arena.allocate(Sgemm.packedBytes(k, n), 64);
            Sgemm.packB(b, 0, k, n, false, pb, 0);
            MemorySegment c = arena.allocate(4L * m * n, 64);
            Runnable call = () -> Sgemm.gemmPacked(m, n, k, a, 0, k, pb, 0, c, 0, n, false, par);
            report("f32 sgemm  [" + m + "," + k + "]x[" + k + "," + n + "]", m, n, k, call);
        }
    }

    static void report(String name, int m, int n, int k, Runnable call) {
        double ops = 2.0 * m * n * k;
        int reps = (int) Math.max(10, 2e9 / ops);
        for (int i = 0; i < reps; i++) {
            call.run(); // warm up: C2 compiles the kernels
        }
        // CPU time of this thread besides wall time: on a shared, busy machine the wall clock counts
        // time the thread was not running. (CPU time ignores the workers when threads > 1.)
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double best = Double.MAX_VALUE;
        double bestCpu = Double.MAX_VALUE;
        for (int trial = 0; trial < 5; trial++) {
            long t0 = System.nanoTime();
            long c0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < reps; i++) {
                call.run();
            }
            bestCpu = Math.min(bestCpu, (mx.getCurrentThreadCpuTime() - c0) / (double) reps);
            best = Math.min(best, (System.nanoTime() - t0) / (double) reps);
        }
        com.sun.management.ThreadMXBean amx = (com.sun.management.ThreadMXBean) mx;
        long a0 = amx.getCurrentThreadAllocatedBytes();
        call.run();
        long alloc = amx.getCurrentThreadAllocatedBytes() - a0;
        System.out.printf(
                "%-36s %8.1f us  %6.1f GOP/s wall  %6.1f GOP/s cpu  %d B allocated/call%n",
                name, best / 1e3, ops / best, ops / bestCpu, alloc);
    }

    /** Random bytes (read as u8, s8 or, four at a time, as small floats' bit patterns kept finite). */
    private static MemorySegment bytes(Arena arena, long count) {
        Random rnd = new Random(7);
        MemorySegment s = arena.allocate(count, 64);
        for (long i = 0; i < count; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) (i % 4 == 3 ? 0x3c : rnd.nextInt(256)));
        }
        return s;
    }
}
