package fsc.runtime.quant;

import fsc.runtime.kernels.Lanes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The decode matvec's ceiling by formulation: one Q4_0 [5632 x 2048] matrix (6.5 MB, the 1.1B
 * model's ffn shape) times one f32 activation, one thread, timed by thread CPU time. The
 * formulations run interleaved, call by call, so load from other processes hits them alike; the
 * table gives each one's median GB/s of weight bytes and its median speed-up over the previous
 * shipped kernel (nibble lookup, block scales converted in the loop) in the same round. A benchmark, not a test: it asserts
 * nothing. Run: {@code ./mvnw -B -pl runtime-min test -Pbench -Dtest=QuantMatVecBench
 * -Dsurefire.failIfNoSpecifiedTests=false} (writes {@code target/bench-matvec.md}).
 */
@Tag("bench")
class QuantMatVecBench {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private interface Kernel {
        void run();
    }

    @Test
    void q4_0Formulations() throws Exception {
        int n = 5632;
        int k = 2048;
        int reps = Integer.getInteger("fsc.bench.matvec.reps", 80);
        long rowBytes = GgmlType.Q4_0.bytesFor(k);
        Random rnd = new Random(1);
        byte[] heap = new byte[(int) (n * rowBytes)];
        rnd.nextBytes(heap);
        MemorySegment w = Arena.ofAuto().allocate(heap.length, 64);
        MemorySegment.copy(heap, 0, w, ValueLayout.JAVA_BYTE, 0, heap.length);
        for (long at = 0; at < heap.length; at += 18) {
            w.set(I16, at, Float.floatToFloat16((float) rnd.nextGaussian() * 0.05f));
        }
        MemorySegment.copy(w, ValueLayout.JAVA_BYTE, 0, heap, 0, heap.length);
        float[] x = new float[k];
        for (int i = 0; i < k; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        MemorySegment y = Arena.ofAuto().allocate(4L * n);
        MemorySegment xNative = Arena.ofAuto().allocate(4L * k, 64);
        MemorySegment.copy(x, 0, xNative, ValueLayout.JAVA_FLOAT, 0, k);
        float[] yh = new float[n];
        String[] names = {
            "table lookup, scale by float16ToFloat per block (before)",
            "table lookup, scale from HalfFloats.TABLE (the Java kernel)",
            "and/sub/convert nibbles (the kernel before that)",
            "table lookup, weights as heap byte[]",
            "and/sub/convert, two accumulators",
            "table lookup, two rows per pass",
            "machine code, four rows interleaved (QuantMatVecKernels), shipped",
        };
        Kernel[] kernels = {
            () -> tableConvertedScale(w, rowBytes, x, k, yh, n),
            () -> QuantMatVec.rows(GgmlType.Q4_0, w, x, k, y, 0, 0, n),
            () -> computed(w, rowBytes, x, k, yh, n),
            () -> heapTable(heap, (int) rowBytes, x, k, yh, n),
            () -> computedTwoAcc(w, rowBytes, x, k, yh, n),
            () -> tableTwoRows(w, rowBytes, x, k, yh, n),
            () -> QuantMatVec.rows(GgmlType.Q4_0, w, x, xNative, k, y, 0, 0, n),
        };
        for (int i = 0; i < 30; i++) {
            for (Kernel kk : kernels) {
                kk.run();
            }
        }
        double[][] t = new double[kernels.length][reps];
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < kernels.length; i++) {
                long s = THREADS.getCurrentThreadCpuTime();
                kernels[i].run();
                t[i][r] = (THREADS.getCurrentThreadCpuTime() - s) / 1e9;
            }
        }
        StringBuilder md = new StringBuilder(String.format(
                Locale.ROOT,
                "Q4_0 matvec %d x %d (%.1f MB), 1 thread, %d interleaved rounds, thread CPU time\n\n",
                n,
                k,
                heap.length / 1e6,
                reps));
        md.append("| formulation | GB/s (median) | GB/s (best) | speed-up over before (median of rounds) |\n");
        md.append("|---|---|---|---|\n");
        for (int i = 0; i < kernels.length; i++) {
            double[] ratio = new double[reps];
            for (int r = 0; r < reps; r++) {
                ratio[r] = t[0][r] / t[i][r];
            }
            Arrays.sort(ratio);
            double[] sorted = t[i].clone();
            Arrays.sort(sorted);
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %.2f | %.2f | %.2f |\n",
                    names[i],
                    heap.length / sorted[reps / 2] / 1e9,
                    heap.length / sorted[0] / 1e9,
                    ratio[reps / 2]));
        }
        System.out.print(md);
        Path out = Path.of("target", "bench-matvec.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md);
    }

    private static final IntVector TABLE = IntVector.fromArray(QuantDot.I, table(), 0);

    private static int[] table() {
        int[] t = new int[QuantDot.I.length()];
        for (int q = 0; q < t.length; q++) {
            t[q] = Float.floatToRawIntBits(q - 8);
        }
        return t;
    }

    private static IntVector nibbles(MemorySegment w, long at) {
        return (IntVector) ByteVector.fromMemorySegment(QuantDot.B, w, at, QuantDot.LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, QuantDot.I, 0);
    }

    /** The kernel QuantMatVec shipped before the scale table: each block's f16 scale converted in the loop. */
    private static void tableConvertedScale(MemorySegment w, long rowBytes, float[] x, int k, float[] y, int n) {
        var f = QuantDot.F;
        if (QuantDot.L != 16) {
            return;
        }
        for (int j = 0; j < n; j++) {
            FloatVector acc = FloatVector.zero(f);
            for (int b = 0; b < k / 32; b++) {
                long at = j * rowBytes + 18L * b;
                FloatVector d = FloatVector.broadcast(f, Float.float16ToFloat(w.get(I16, at)));
                IntVector q = nibbles(w, at + 2);
                FloatVector block = q.selectFrom(TABLE)
                        .reinterpretAsFloats()
                        .fma(FloatVector.fromArray(f, x, 32 * b), FloatVector.zero(f));
                block = q.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(TABLE)
                        .reinterpretAsFloats()
                        .fma(FloatVector.fromArray(f, x, 32 * b + 16), block);
                acc = block.fma(d, acc);
            }
            y[j] = Lanes.sum(acc);
        }
    }

    /** The kernel shipped before the nibble lookup: nibbles split and converted on int lanes. */
    private static void computed(MemorySegment w, long rowBytes, float[] x, int k, float[] y, int n) {
        var f = QuantDot.F;
        for (int j = 0; j < n; j++) {
            FloatVector acc = FloatVector.zero(f);
            for (int b = 0; b < k / 32; b++) {
                long at = j * rowBytes + 18L * b;
                FloatVector d = FloatVector.broadcast(f, Float.float16ToFloat(w.get(I16, at)));
                FloatVector block = FloatVector.zero(f);
                for (int i = 0; i < 16; i += QuantDot.L) {
                    IntVector q = nibbles(w, at + 2 + i);
                    FloatVector lo = (FloatVector) q.and(15).sub(8).convert(VectorOperators.I2F, 0);
                    FloatVector hi = (FloatVector)
                            q.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0);
                    block = lo.fma(FloatVector.fromArray(f, x, 32 * b + i), block);
                    block = hi.fma(FloatVector.fromArray(f, x, 32 * b + 16 + i), block);
                }
                acc = block.fma(d, acc);
            }
            y[j] = Lanes.sum(acc);
        }
    }

    /** As {@link #computed}, even and odd blocks in two accumulators (two FMA chains per row). */
    private static void computedTwoAcc(MemorySegment w, long rowBytes, float[] x, int k, float[] y, int n) {
        var f = QuantDot.F;
        for (int j = 0; j < n; j++) {
            FloatVector acc0 = FloatVector.zero(f);
            FloatVector acc1 = FloatVector.zero(f);
            for (int b = 0; b + 1 < k / 32; b += 2) {
                long at = j * rowBytes + 18L * b;
                FloatVector b0 = FloatVector.zero(f);
                FloatVector b1 = FloatVector.zero(f);
                for (int i = 0; i < 16; i += QuantDot.L) {
                    IntVector q = nibbles(w, at + 2 + i);
                    IntVector r = nibbles(w, at + 20 + i);
                    b0 = ((FloatVector) q.and(15).sub(8).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(f, x, 32 * b + i), b0);
                    b0 = ((FloatVector)
                                    q.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(f, x, 32 * b + 16 + i), b0);
                    b1 = ((FloatVector) r.and(15).sub(8).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(f, x, 32 * b + 32 + i), b1);
                    b1 = ((FloatVector)
                                    r.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(f, x, 32 * b + 48 + i), b1);
                }
                acc0 = b0.fma(FloatVector.broadcast(f, Float.float16ToFloat(w.get(I16, at))), acc0);
                acc1 = b1.fma(FloatVector.broadcast(f, Float.float16ToFloat(w.get(I16, at + 18))), acc1);
            }
            y[j] = Lanes.sum(acc0.add(acc1));
        }
    }

    /** The shipped lookup, two weight rows per pass sharing the activation loads. */
    private static void tableTwoRows(MemorySegment w, long rowBytes, float[] x, int k, float[] y, int n) {
        var f = QuantDot.F;
        if (QuantDot.L != 16) {
            return;
        }
        for (int j = 0; j + 1 < n; j += 2) {
            FloatVector acc0 = FloatVector.zero(f);
            FloatVector acc1 = FloatVector.zero(f);
            for (int b = 0; b < k / 32; b++) {
                long at = j * rowBytes + 18L * b;
                long at1 = at + rowBytes;
                FloatVector x0 = FloatVector.fromArray(f, x, 32 * b);
                FloatVector x1 = FloatVector.fromArray(f, x, 32 * b + 16);
                IntVector q = nibbles(w, at + 2);
                IntVector r = nibbles(w, at1 + 2);
                FloatVector b0 = q.selectFrom(TABLE).reinterpretAsFloats().fma(x0, FloatVector.zero(f));
                b0 = q.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(TABLE)
                        .reinterpretAsFloats()
                        .fma(x1, b0);
                FloatVector b1 = r.selectFrom(TABLE).reinterpretAsFloats().fma(x0, FloatVector.zero(f));
                b1 = r.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(TABLE)
                        .reinterpretAsFloats()
                        .fma(x1, b1);
                acc0 = b0.fma(FloatVector.broadcast(f, Float.float16ToFloat(w.get(I16, at))), acc0);
                acc1 = b1.fma(FloatVector.broadcast(f, Float.float16ToFloat(w.get(I16, at1))), acc1);
            }
            y[j] = Lanes.sum(acc0);
            y[j + 1] = Lanes.sum(acc1);
        }
    }

    /** The shipped lookup over a heap copy of the weights (int indices, array bounds checks). */
    private static void heapTable(byte[] w, int rowBytes, float[] x, int k, float[] y, int n) {
        var f = QuantDot.F;
        if (QuantDot.L != 16) {
            return;
        }
        for (int j = 0; j < n; j++) {
            FloatVector acc = FloatVector.zero(f);
            for (int b = 0; b < k / 32; b++) {
                int at = j * rowBytes + 18 * b;
                short h = (short) ((w[at] & 0xff) | (w[at + 1] << 8));
                FloatVector d = FloatVector.broadcast(f, Float.float16ToFloat(h));
                IntVector q = (IntVector) ByteVector.fromArray(QuantDot.B, w, at + 2)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, QuantDot.I, 0);
                FloatVector block = q.selectFrom(TABLE)
                        .reinterpretAsFloats()
                        .fma(FloatVector.fromArray(f, x, 32 * b), FloatVector.zero(f));
                block = q.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(TABLE)
                        .reinterpretAsFloats()
                        .fma(FloatVector.fromArray(f, x, 32 * b + 16), block);
                acc = block.fma(d, acc);
            }
            y[j] = Lanes.sum(acc);
        }
    }
}
