package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;

/**
 * One MiniLM encoder layer's six weight GEMMs as the model runs them (Q, K, V, O: {@code [m,384] ×
 * [384,384]} + bias; FFN up {@code [m,384] × [384,1536]} + bias + GELU; FFN down {@code [m,1536] ×
 * [1536,384]} + bias), weights rotated through six layers' copies, A read in place: the median
 * wall time per layer, for A/B runs of the threading of {@link Sgemm} (where {@link SgemmBench}'s
 * best-of trials would hide a thread that starts late). A micro benchmark main, not a test. Run:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp
 * runtime-min/target/classes:runtime-min/target/test-classes fsc.runtime.kernels.SgemmLayerBench
 * THREADS ROWS TRIALS} (ROWS = batch × sequence: 128 or 1024).
 */
public final class SgemmLayerBench {
    private static final int LAYERS = 6;
    private static final int D = 384;
    private static final int FF = 1536;

    private SgemmLayerBench() {}

    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]);
        int m = Integer.parseInt(args[1]);
        int trials = Integer.parseInt(args[2]);
        try (Parallelism par = Parallelism.of(threads);
                Arena arena = Arena.ofShared()) {
            MemorySegment x = random(arena, (long) m * D);
            MemorySegment h = arena.allocate((long) m * FF * Float.BYTES, 64);
            MemorySegment y = arena.allocate((long) m * D * Float.BYTES, 64);
            MemorySegment bias = random(arena, FF);
            long proj = Sgemm.packedBytes(D, D);
            long up = Sgemm.packedBytes(D, FF);
            long down = Sgemm.packedBytes(FF, D);
            MemorySegment wProj = random(arena, proj / Float.BYTES * 4 * LAYERS);
            MemorySegment wUp = random(arena, up / Float.BYTES * LAYERS);
            MemorySegment wDown = random(arena, down / Float.BYTES * LAYERS);
            GemmEpilogue plain = GemmEpilogue.of(bias, 0, GemmEpilogue.Activation.NONE);
            GemmEpilogue gelu = GemmEpilogue.of(bias, 0, GemmEpilogue.Activation.GELU);
            int[] next = {0};
            Runnable layer = () -> {
                int l = next[0]++ % LAYERS;
                for (int i = 0; i < 4; i++) {
                    Sgemm.gemmPacked(m, D, D, x, 0, D, wProj, (l * 4L + i) * proj, y, 0, D, false, plain, par);
                }
                Sgemm.gemmPacked(m, FF, D, x, 0, D, wUp, l * up, h, 0, FF, false, gelu, par);
                Sgemm.gemmPacked(m, D, FF, h, 0, FF, wDown, l * down, y, 0, D, false, plain, par);
            };
            for (int i = 0; i < Math.max(30, 4800 / m); i++) {
                layer.run(); // warm up: C2 compiles the drivers
            }
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            double[] ms = new double[trials];
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = mx.getCurrentThreadCpuTime();
            long process0 = os.getProcessCpuTime();
            for (int i = 0; i < trials; i++) {
                long t0 = System.nanoTime();
                layer.run();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            double cpu = (mx.getCurrentThreadCpuTime() - cpu0) / 1e6 / trials;
            // The whole process (the team's workers too, and their spinning at joins).
            double process = (os.getProcessCpuTime() - process0) / 1e6 / trials;
            Arrays.sort(ms);
            double flops = 2.0 * m * D * D * 4 + 2 * 2.0 * m * D * FF;
            System.out.printf(
                    "threads %d rows %d: median %.3f ms (p10 %.3f, p90 %.3f) = %.1f GFLOP/s; CPU caller %.3f ms,"
                            + " process %.3f ms%n",
                    threads,
                    m,
                    ms[trials / 2],
                    ms[trials / 10],
                    ms[trials * 9 / 10],
                    flops / ms[trials / 2] / 1e6,
                    cpu,
                    process);
        }
    }

    private static MemorySegment random(Arena arena, long floats) {
        Random rnd = new Random(7);
        MemorySegment s = arena.allocate(floats * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, rnd.nextFloat() - 0.5f);
        }
        return s;
    }
}
