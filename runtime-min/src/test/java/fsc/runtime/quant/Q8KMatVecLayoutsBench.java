package fsc.runtime.quant;

import fsc.runtime.x86.KQuantKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The machine-code K-quant decode matvec in GGUF's layout ({@link KQuantKernels}, rows four at a
 * time as four streams a quarter of the range apart) against the same matrix repacked in groups of
 * 16 rows ({@code KQuantPackedKernels}, through {@link Q8KMatVec#rows}), on weights that do not fit
 * in the last-level cache as in a decode step: the FFN shapes of the 1.1B model, {@code copies}
 * copies of the matrix (default 24, 150-240 MB) taken in turn. One thread, thread CPU time, the
 * two layouts interleaved call by call; GB/s of weight bytes, median and best, and the median
 * per-call speed-up. A benchmark, not a test: it asserts nothing. Run: {@code ./mvnw -B -pl
 * runtime-min test -Pbench -Dtest=Q8KMatVecLayoutsBench -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("bench")
class Q8KMatVecLayoutsBench {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Test
    void ggufLayoutAgainstPacked() {
        Assumptions.assumeTrue(Q8KMatVec.NATIVE != null, "needs AVX-512 VNNI");
        int reps = Integer.getInteger("fsc.bench.matvec.reps", 30);
        int copies = Integer.getInteger("fsc.bench.matvec.copies", 24);
        for (GgmlType type : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q6_K}) {
            for (int[] shape : new int[][] {{5632, 2048}, {2048, 5632}}) {
                System.out.println(row(type, shape[0], shape[1], reps, copies));
            }
        }
    }

    private static String row(GgmlType type, int n, int k, int reps, int copies) {
        Arena arena = Arena.ofAuto();
        Random rnd = new Random(3);
        MemorySegment w0 = RandomWeights.of(arena, type, n, k, rnd);
        MemorySegment[] ws = new MemorySegment[copies];
        for (int c = 0; c < copies; c++) {
            ws[c] = arena.allocate(w0.byteSize(), 64).copyFrom(w0);
        }
        MemorySegment xs = arena.allocate(4L * k, 64);
        for (int i = 0; i < k; i++) {
            xs.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
        }
        Q8KMatVec.Prepared x = new Q8KMatVec.Prepared().prepare(Q8K.quantize(xs, 0, 1, k));
        MemorySegment y = arena.allocate(4L * n, 64);
        MemorySegment p = arena.allocate(8L * KQuantKernels.PARAMS, 64);
        long rowBytes = type.bytesFor(k);
        int kind = type == GgmlType.Q4_K ? KQuantKernels.Q4_K : KQuantKernels.Q6_K;
        double[][] t = new double[2][reps];
        for (int r = -10; r < reps; r++) {
            for (int v = 0; v < 2; v++) {
                MemorySegment w = ws[Math.floorMod(2 * r + v, copies)];
                if (v == 1) {
                    long s = THREADS.getCurrentThreadCpuTime();
                    Q8KMatVec.rows(type, w, rowBytes, x, 0, y, 0, 0, n);
                    if (r >= 0) {
                        t[v][r] = (THREADS.getCurrentThreadCpuTime() - s) / 1e9;
                    }
                    continue;
                }
                int quads = n / 4;
                p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.W, w.address());
                p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.ROW_BYTES, rowBytes);
                p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.X, x.nativeRow(0, k / Q8K.BLOCK));
                p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.BLOCKS, k / Q8K.BLOCK);
                p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.Y, y.address());
                p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.QUADS, quads);
                p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.STREAM, quads * rowBytes);
                p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.ROWS, n - 4 * quads);
                p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.CONSTS, Q8KMatVec.NATIVE.constants());
                long s = THREADS.getCurrentThreadCpuTime();
                Q8KMatVec.NATIVE.run(kind, p.address());
                if (r >= 0) {
                    t[v][r] = (THREADS.getCurrentThreadCpuTime() - s) / 1e9;
                }
            }
        }
        double bytes = (double) n * rowBytes;
        double[] ratio = new double[reps];
        for (int r = 0; r < reps; r++) {
            ratio[r] = t[0][r] / t[1][r];
        }
        Arrays.sort(ratio);
        Arrays.sort(t[0]);
        Arrays.sort(t[1]);
        return String.format(
                Locale.ROOT,
                "%s %d x %d: GGUF layout %.2f / %.2f GB/s, packed %.2f / %.2f GB/s (median / best), speed-up %.2f (quartiles %.2f-%.2f)",
                type,
                n,
                k,
                bytes / t[0][reps / 2] / 1e9,
                bytes / t[0][0] / 1e9,
                bytes / t[1][reps / 2] / 1e9,
                bytes / t[1][0] / 1e9,
                ratio[reps / 2],
                ratio[reps / 4],
                ratio[3 * reps / 4]);
    }
}
