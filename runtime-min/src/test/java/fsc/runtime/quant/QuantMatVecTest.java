package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.runtime.x86.CpuFeatures;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The decode row-loop kernel gives, bit for bit, the single-row dot of every row in its range (so
 * batch invariance holds whichever kernel a step picks), agrees with the scalar reference, and
 * writes nothing outside its range.
 */
class QuantMatVecTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_0", "Q8_0", "F32", "F16"})
    void rowsMatchTheSingleRowDotAndTheReference(GgmlType type) {
        Random rnd = new Random(5 + type.ordinal());
        int n = 7 * 32;
        int rows = 13;
        long rowBytes = type.bytesFor(n);
        MemorySegment w = Arena.ofAuto().allocate(rows * rowBytes);
        for (long i = 0; i < w.byteSize(); i++) {
            w.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        for (long e = 0; e < (long) rows * n / type.blockSize(); e++) {
            float v = (float) rnd.nextGaussian() * (type.blockSize() == 1 ? 1f : 0.05f);
            long at = e * type.blockBytes();
            switch (type) {
                case F32 -> w.set(F32, at, v);
                default -> w.set(I16, at, Float.floatToFloat16(v));
            }
        }
        float[] x = new float[n + 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        long yOffset = 12;
        MemorySegment y = Arena.ofAuto().allocate(yOffset + 4L * rows);
        y.fill((byte) 0x7f);
        int from = 3;
        int to = 11;
        QuantMatVec.rows(type, w, x, n, y, yOffset, from, to);
        MemorySegment xs = MemorySegment.ofArray(x);
        for (int j = 0; j < rows; j++) {
            float got = y.get(F32, yOffset + 4L * j);
            if (j < from || j >= to) {
                assertEquals(0x7f7f7f7f, Float.floatToRawIntBits(got), "row " + j + " is outside the range");
                continue;
            }
            float single = QuantDot.dot(type, w, j * rowBytes, xs, 0L, n);
            assertEquals(Float.floatToRawIntBits(single), Float.floatToRawIntBits(got), type + " row " + j);
            float ref = Dequantize.dot(type, w, j * rowBytes, x, 0, n);
            assertEquals(ref, got, 1e-4f * (1 + Math.abs(ref)), type + " row " + j + " vs the reference");
        }
    }

    /**
     * With the activation and output in native memory (as the decoder keeps them) Q4_0, Q8_0 and Q6_K run
     * the machine-code kernel where this CPU has one ({@link QuantMatVec#nativeKernels}): four rows
     * interleaved, then single rows, so ranges with every remainder are taken. Each row must be the
     * single-row dot's bits, the outputs outside the range untouched.
     */
    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_0", "Q8_0", "Q6_K"})
    void nativeActivationsGiveTheSingleRowDotsBits(GgmlType type) {
        Random rnd = new Random(40 + type.ordinal());
        int n = (type == GgmlType.Q6_K ? 3 : 9) * type.blockSize();
        int rows = 23;
        long rowBytes = type.bytesFor(n);
        MemorySegment w = Arena.ofAuto().allocate(rows * rowBytes + 7).asSlice(7); // odd address
        for (long i = 0; i < w.byteSize(); i++) {
            w.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        for (long at = 0; at + type.blockBytes() <= w.byteSize(); at += type.blockBytes()) {
            long d = type == GgmlType.Q6_K ? at + 208 : at; // Q6_K's scale ends its block
            w.set(I16, d, Float.floatToFloat16((float) rnd.nextGaussian() * 0.05f));
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(9) - 4));
        }
        MemorySegment xs = Arena.ofAuto().allocate(4L * n, 64);
        MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, n);
        MemorySegment heapX = MemorySegment.ofArray(x);
        assertEquals(
                CpuFeatures.avx512() && QuantDot.L == 16 && QuantDot.VECTORIZED,
                QuantMatVec.nativeKernels(),
                "the machine-code kernel runs exactly where the CPU and the species allow it");
        int[][] ranges = {{0, rows}, {3, 12}, {5, 6}, {1, 4}, {2, 9}, {20, 23}};
        for (int[] range : ranges) {
            long yOffset = 8;
            MemorySegment y = Arena.ofAuto().allocate(yOffset + 4L * rows);
            y.fill((byte) 0x7f);
            QuantMatVec.rows(type, w, x, xs, n, y, yOffset, range[0], range[1]);
            // The same rows with the activation on the heap: the Vector API kernels.
            MemorySegment javaY = Arena.ofAuto().allocate(4L * rows);
            QuantMatVec.rows(type, w, x, heapX, n, javaY, 0, 0, rows);
            for (int j = 0; j < rows; j++) {
                int got = y.get(ValueLayout.JAVA_INT_UNALIGNED, yOffset + 4L * j);
                if (j < range[0] || j >= range[1]) {
                    assertEquals(0x7f7f7f7f, got, "row " + j + " is outside " + range[0] + ".." + range[1]);
                    continue;
                }
                int java = javaY.get(ValueLayout.JAVA_INT_UNALIGNED, 4L * j);
                assertEquals(java, got, type + " row " + j + " of " + range[0] + ".." + range[1]);
                float ref = Dequantize.dot(type, w, j * rowBytes, x, 0, n);
                assertEquals(ref, Float.intBitsToFloat(got), 1e-3f * (1 + Math.abs(ref)), type + " row " + j);
            }
        }
    }

    /**
     * The first (interpreted) call and a call after thousands more (by then C2-compiled, with the
     * Vector API intrinsified) give the same bits: no kernel result depends on the JIT tier (issue
     * 16: greedy decoding changed between runs when a reduction's order did).
     */
    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_0", "Q8_0", "Q4_K", "Q6_K"})
    void coldAndWarmCallsAgreeBitForBit(GgmlType type) {
        Random rnd = new Random(16 + type.ordinal());
        int n = 2 * 256;
        int rows = 24;
        long rowBytes = type.bytesFor(n);
        MemorySegment w = Arena.ofAuto().allocate(rows * rowBytes);
        for (long i = 0; i < w.byteSize(); i++) {
            w.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        // Sane f16 scales wherever a block starts with one (Q4_0/Q8_0 d; Q4_K d and dmin); Q6_K's d
        // is at the block's end.
        for (long at = 0; at < w.byteSize(); at += type.blockBytes()) {
            long d = type == GgmlType.Q6_K ? at + 208 : at;
            w.set(I16, d, Float.floatToFloat16((float) rnd.nextGaussian() * 0.05f));
            if (type == GgmlType.Q4_K) {
                w.set(I16, d + 2, Float.floatToFloat16((float) rnd.nextGaussian() * 0.05f));
            }
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(17) - 8));
        }
        MemorySegment cold = Arena.ofAuto().allocate(4L * rows);
        MemorySegment warm = Arena.ofAuto().allocate(4L * rows);
        QuantMatVec.rows(type, w, x, n, cold, 0, 0, rows);
        for (int i = 0; i < 3000; i++) {
            QuantMatVec.rows(type, w, x, n, warm, 0, 0, rows);
        }
        for (int j = 0; j < rows; j++) {
            assertEquals(
                    cold.get(ValueLayout.JAVA_INT_UNALIGNED, 4L * j),
                    warm.get(ValueLayout.JAVA_INT_UNALIGNED, 4L * j),
                    type + " row " + j);
        }
    }
}
