package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The multi-row kernels give, bit for bit, what the single-row dot gives for each activation row,
 * whatever the row count (full tiles, short last tiles) and however many rows come before.
 */
class QuantDotRowsTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_0", "Q8_0", "F32", "F16", "BF16"})
    void everyRowIsBitIdenticalToTheSingleRowDot(GgmlType type) {
        if (!QuantDot.VECTORIZED) {
            // 128-bit vectors: no multi-row kernel, and LlmKernels takes the single-row dot instead.
            assertEquals(false, QuantDotRows.supports(type), type + " has no multi-row kernel at 4 lanes");
            assertThrows(
                    IllegalArgumentException.class,
                    () -> QuantDotRows.dots(type, null, 0, null, 0, 0, 1, 32, new float[4]));
            return;
        }
        Random rnd = new Random(7 + type.ordinal());
        // Plain types get a row that is no whole number of vectors, so the scalar tail runs too.
        int n = type.blockSize() == 1 ? 5 * 32 + 3 : 5 * 32;
        long rowOffset = 3;
        MemorySegment w = Arena.ofAuto().allocate(rowOffset + type.bytesFor(n));
        for (long i = 0; i < w.byteSize(); i++) {
            w.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        if (type.blockSize() == 1) {
            for (int i = 0; i < n; i++) {
                float v = (float) rnd.nextGaussian();
                switch (type) {
                    case F32 -> w.set(F32, rowOffset + 4L * i, v);
                    case F16 -> w.set(I16, rowOffset + 2L * i, Float.floatToFloat16(v));
                    default -> w.set(I16, rowOffset + 2L * i, (short) (Float.floatToIntBits(v) >>> 16));
                }
            }
        } else {
            for (int b = 0; b < n / 32; b++) {
                w.set(I16, rowOffset + b * type.blockBytes(), Float.floatToFloat16((float) rnd.nextGaussian() * 0.1f));
            }
        }
        for (int rows = 1; rows <= 9; rows++) {
            long xOffset = 8;
            MemorySegment x = Arena.ofAuto().allocate(xOffset + 4L * rows * n);
            for (int i = 0; i < rows * n; i++) {
                x.set(F32, xOffset + 4L * i, (float) rnd.nextGaussian());
            }
            float[] out = new float[QuantDotRows.outLength(rows)];
            QuantDotRows.dots(type, w, rowOffset, x, xOffset, 4L * n, rows, n, out);
            for (int t = 0; t < rows; t++) {
                float single = QuantDot.dot(type, w, rowOffset, x, xOffset + 4L * t * n, n);
                assertEquals(
                        Float.floatToRawIntBits(single),
                        Float.floatToRawIntBits(out[t]),
                        type + " rows=" + rows + " row " + t + ": " + single + " vs " + out[t]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_0", "Q8_0"})
    void theVectorDequantizerMatchesTheReference(GgmlType type) {
        Random rnd = new Random(11 + type.ordinal());
        int n = 7 * 32;
        MemorySegment w = Arena.ofAuto().allocate(1 + type.bytesFor(n));
        for (long i = 0; i < w.byteSize(); i++) {
            w.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        for (int b = 0; b < n / 32; b++) {
            w.set(I16, 1 + b * type.blockBytes(), Float.floatToFloat16((float) rnd.nextGaussian()));
        }
        float[] expected = new float[n];
        Dequantize.row(type, w, 1, expected, 0, n);
        float[] actual = new float[n + 5];
        QuantDotRows.dequantize(type, w, 1, n, actual, 5);
        assertArrayEquals(expected, java.util.Arrays.copyOfRange(actual, 5, n + 5));
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_K", "Q5_K", "Q6_K", "Q4_1"})
    void typesWithoutAKernelAreRefused(GgmlType type) {
        assertEquals(false, QuantDotRows.supports(type));
        assertThrows(
                IllegalArgumentException.class,
                () -> QuantDotRows.dots(
                        type,
                        MemorySegment.ofArray(new byte[1024]),
                        0,
                        MemorySegment.ofArray(new float[256]),
                        0,
                        1024,
                        1,
                        256,
                        new float[4]));
    }
}
