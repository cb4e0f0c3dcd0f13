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
 * The GEMM conv kernels ({@link ConvBand}'s implicit GEMM against im2col) on the detector's and the
 * classifier's conv shapes, one thread, in the calling thread's CPU time (so other processes on a
 * shared machine do not count): a micro benchmark main, not a test. Run with the test classpath:
 * {@code java --add-modules jdk.incubator.vector -cp
 * runtime-min/target/classes:runtime-min/target/test-classes fsc.runtime.kernels.Conv2dBench}.
 */
public final class Conv2dBench {
    private Conv2dBench() {}

    /** c, h, w, m, k, stride, pad. */
    private static final int[][] SHAPES = {
        {96, 80, 80, 24, 3, 1, 1}, // the detector's p2o.Conv.58 / .61 (half its multiply-adds)
        {96, 40, 40, 24, 3, 1, 1},
        {24, 80, 80, 24, 3, 2, 1},
        {48, 40, 40, 96, 3, 2, 1},
        {16, 24, 96, 16, 3, 1, 1},
    };

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("pointwise")) {
            pointwise();
            return;
        }
        if (args.length > 0 && args[0].equals("wide")) {
            wide();
            return;
        }
        if (args.length > 0 && args[0].equals("depthwise")) {
            depthwise(args.length > 1 ? Integer.parseInt(args[1]) : -1);
            return;
        }
        for (int[] c : SHAPES) {
            int out = (c[1] + 2 * c[6] - c[4]) / c[5] + 1;
            int outW = (c[2] + 2 * c[6] - c[4]) / c[5] + 1;
            ConvShape s = new ConvShape(c[0], c[1], c[2], c[3], c[4], c[4], c[5], c[5], c[6], c[6], 1, 1, 1, out, outW);
            double band = time(s, Conv2d.Kind.BAND);
            double im2col = time(s, Conv2d.Kind.IM2COL);
            double flops = 2.0 * s.filters() * s.columnRows() * s.outPixels();
            System.out.printf(
                    "%s: band %.3f ms (%.1f GFLOP/s), im2col %.3f ms (%.1f GFLOP/s), band/im2col %.2f, shape picks %s%n",
                    Arrays.toString(c),
                    band,
                    flops / band / 1e6,
                    im2col,
                    flops / im2col / 1e6,
                    band / im2col,
                    Conv2d.kindOf(s));
        }
    }

    /**
     * c, h, w, m, dilation of ISNet's 3×3 convs (stride 1, padding = dilation) where many channels
     * meet a small plane: a band row of such a conv is hundreds of KB, so a band is few rows wide.
     */
    private static final int[][] WIDE = {
        {1024, 32, 32, 512, 1},
        {1024, 64, 64, 256, 1},
        {512, 32, 32, 256, 4},
        {256, 32, 32, 256, 2},
        {128, 256, 256, 64, 1}
    };

    /** {@link #WIDE}'s shapes on the band kernel, with the band rows the shape gets. */
    private static void wide() {
        for (int[] c : WIDE) {
            ConvShape s = new ConvShape(c[0], c[1], c[2], c[3], 3, 3, 1, 1, c[4], c[4], c[4], c[4], 1, c[1], c[2]);
            double band = time(s, Conv2d.Kind.BAND);
            double flops = 2.0 * s.filters() * s.columnRows() * s.outPixels();
            System.out.printf(
                    "%s: band %.3f ms (%.1f GFLOP/s), %d rows a band%n",
                    Arrays.toString(c), band, flops / band / 1e6, new ConvBand(s).bandRows());
        }
    }

    /** c, h, w, m of 1×1 convs of MobileNetV3-small's shape at a 48×192 input. */
    private static final int[][] POINTWISE = {{16, 24, 96, 72}, {24, 12, 96, 88}, {96, 6, 48, 576}, {576, 3, 24, 96}};

    /**
     * A 1×1 conv through {@link ConvGemm} (weights packed once, tile epilogue) against the previous
     * path: {@link Sgemm#gemm} (weights packed per call) then a bias+ReLU pass per output row.
     */
    static void pointwise() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random r = new Random(2);
        for (int[] c : POINTWISE) {
            ConvShape s = new ConvShape(c[0], c[1], c[2], c[3], 1, 1, 1, 1, 0, 0, 1, 1, 1, c[1], c[2]);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment x = random(arena, (long) s.channels() * s.inPixels(), r);
                MemorySegment w = random(arena, (long) s.filters() * s.columnRows(), r);
                MemorySegment b = random(arena, s.filters(), r);
                MemorySegment y = arena.allocate((long) s.filters() * s.outPixels() * 4, 64);
                Conv2d conv = new Conv2d(s, true);
                int p = s.outPixels();
                int m = s.filters();
                int k = s.channels();
                double now = time(mx, () -> conv.run(1, x, 0, w, 0, b, 0, y, 0, ConvActivation.RELU, 0f, 0f, null));
                double before = time(mx, () -> {
                    Sgemm.gemm(m, p, k, w, 0, k, false, x, 0, p, false, y, 0, p, 1f, false, null);
                    for (int i = 0; i < m; i++) {
                        ConvRowEpilogue.biasActivate(
                                y,
                                (long) i * p * 4,
                                p,
                                b.getAtIndex(ValueLayout.JAVA_FLOAT, i),
                                ConvActivation.RELU,
                                0f,
                                0f);
                    }
                });
                System.out.printf(
                        "pointwise %s: Conv2d %.4f ms, Sgemm+pass %.4f ms, ratio %.2f%n",
                        Arrays.toString(c), now, before, now / before);
            }
        }
    }

    /** The depthwise benchmark's activation ({@code -Dact=NONE|RELU|CLIP|HARD_SWISH}). */
    private static final ConvActivation ACT = ConvActivation.valueOf(System.getProperty("act", "HARD_SWISH"));

    /** c, h, w, k, strideH, strideW of the detector's and the classifier's depthwise convs. */
    private static final int[][] DEPTHWISE = {
        {32, 160, 160, 3, 2, 2}, // detector p2o.Conv.3
        {48, 80, 80, 3, 2, 2}, // p2o.Conv.7
        {48, 80, 80, 3, 1, 1}, // p2o.Conv.5
        {192, 20, 20, 5, 1, 1}, // p2o.Conv.13
        {384, 10, 10, 5, 1, 1}, // p2o.Conv.29
        {200, 2, 96, 5, 1, 1}, // classifier p2o.Conv.43
        {88, 3, 96, 5, 1, 1}, // p2o.Conv.18
        {104, 4, 96, 5, 2, 1}, // p2o.Conv.38
    };

    /**
     * The depthwise kernel on the models' shapes (or only shape {@code only}, in a JVM of its own:
     * no deoptimisation by the other shapes), hard-swish epilogue, one thread, CPU time.
     */
    static void depthwise(int only) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random r = new Random(3);
        for (int i = 0; i < DEPTHWISE.length; i++) {
            if (only >= 0 && i != only) {
                continue;
            }
            int[] c = DEPTHWISE[i];
            int k = c[3];
            int pad = k / 2;
            int oh = (c[1] + 2 * pad - k) / c[4] + 1;
            int ow = (c[2] + 2 * pad - k) / c[5] + 1;
            ConvShape s = new ConvShape(c[0], c[1], c[2], c[0], k, k, c[4], c[5], pad, pad, 1, 1, c[0], oh, ow);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment x = random(arena, (long) s.channels() * s.inPixels(), r);
                MemorySegment w = random(arena, (long) s.filters() * s.columnRows(), r);
                MemorySegment b = random(arena, s.filters(), r);
                MemorySegment y = arena.allocate((long) s.filters() * s.outPixels() * 4, 64);
                Conv2d conv = new Conv2d(s, true);
                double ms = time(mx, () -> conv.run(1, x, 0, w, 0, b, 0, y, 0, ACT, 0f, 6f, null));
                double flops = 2.0 * s.filters() * k * k * s.outPixels();
                System.out.printf("depthwise %s: %.4f ms (%.1f GFLOP/s)%n", Arrays.toString(c), ms, flops / ms / 1e6);
            }
        }
    }

    private static double time(ThreadMXBean mx, Runnable call) {
        for (int i = 0; i < 20000; i++) {
            call.run();
        }
        double[] ms = new double[7];
        for (int t = 0; t < ms.length; t++) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < 2000; i++) {
                call.run();
            }
            ms[t] = (mx.getCurrentThreadCpuTime() - t0) / 1e6 / 2000;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    /** Median thread CPU ms per call over 7 blocks, after a warm-up long enough for C2. */
    private static double time(ConvShape s, Conv2d.Kind kind) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random r = new Random(1);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = random(arena, (long) s.channels() * s.inPixels(), r);
            MemorySegment w = random(arena, (long) s.filters() * s.columnRows(), r);
            MemorySegment b = random(arena, s.filters(), r);
            MemorySegment y = arena.allocate((long) s.filters() * s.outPixels() * 4, 64);
            Conv2d conv = new Conv2d(s, true, kind);
            Runnable call = () -> conv.run(1, x, 0, w, 0, b, 0, y, 0, ConvActivation.RELU, 0f, 0f, (Parallelism) null);
            double flops = 2.0 * s.filters() * s.columnRows() * s.outPixels();
            int reps = (int) Math.max(3, 3e8 / flops);
            for (int i = 0; i < 20 * reps; i++) {
                call.run();
            }
            double[] ms = new double[7];
            for (int t = 0; t < ms.length; t++) {
                long t0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) {
                    call.run();
                }
                ms[t] = (mx.getCurrentThreadCpuTime() - t0) / 1e6 / reps;
            }
            Arrays.sort(ms);
            return ms[ms.length / 2];
        }
    }

    private static MemorySegment random(Arena arena, long n, Random r) {
        MemorySegment m = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) {
            m.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() * 2 - 1);
        }
        return m;
    }
}
