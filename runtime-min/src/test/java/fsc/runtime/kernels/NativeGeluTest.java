package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.x86.CpuFeatures;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link NativeGelu#rows} (the machine-code GELU rows on AVX-512) against {@link FloatMath#geluRows}
 * bit for bit: strided rows whose widths have an even and an odd number of whole vectors and a
 * scalar tail, values across erf's series/erfc switch, the exp clamps and the special values; and
 * on the heap (the Vector API form). Rows' padding must stay untouched.
 */
class NativeGeluTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final float[] SPECIAL = {
        0f,
        -0f,
        Float.NaN,
        Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY,
        Float.MIN_VALUE,
        -Float.MIN_VALUE,
        1.0606601f,
        -1.0606601f,
        1.0606602f,
        -1.0606602f,
        150f,
        -150f,
        1e30f,
        -1e30f,
        -200f,
        3e-39f,
        -5.5f
    };

    @Test
    void nativeRowsGiveTheVectorLoopsBits() {
        assertEquals(CpuFeatures.avx512(), NativeGelu.machineCode(), "the machine-code kernel runs where AVX-512 does");
        Random rnd = new Random(12);
        for (int cols : new int[] {1, 15, 16, 17, 32, 48, 64, 100, 1536}) {
            for (int rows : new int[] {1, 3, 7}) {
                check(rnd, rows, cols, false);
                check(rnd, rows, cols, true);
            }
        }
    }

    @Test
    void rowsOutsideTheSegmentAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4L * 64);
            assertThrows(IndexOutOfBoundsException.class, () -> NativeGelu.rows(buf, 4, 2, 32, 128));
        }
    }

    private static void check(Random rnd, int rows, int cols, boolean heap) {
        int pad = 5;
        long rowBytes = 4L * (cols + pad);
        long off = 8;
        long bytes = off + rows * rowBytes;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment got = heap ? MemorySegment.ofArray(new byte[(int) bytes]) : arena.allocate(bytes, 64);
            MemorySegment want = arena.allocate(bytes, 64);
            for (long i = 0; i < bytes / 4; i++) {
                float v =
                        switch (rnd.nextInt(4)) {
                            case 0 -> SPECIAL[rnd.nextInt(SPECIAL.length)];
                            case 1 -> (float) (rnd.nextGaussian() * 0.8);
                            case 2 -> (float) (rnd.nextGaussian() * 4);
                            default -> (float) ((rnd.nextDouble() - 0.5) * 400);
                        };
                got.set(F32, 4 * i, v);
                want.set(F32, 4 * i, v);
            }
            NativeGelu.rows(got, off, rows, cols, rowBytes);
            FloatMath.geluRows(want, off, rows, cols, rowBytes);
            for (long i = 0; i < bytes / 4; i++) {
                if (Float.isNaN(want.get(F32, 4 * i))) {
                    // NaN either way; its sign and payload follow which operand x86 and C2 propagate.
                    assertTrue(Float.isNaN(got.get(F32, 4 * i)), "NaN stays NaN at float " + i);
                    continue;
                }
                assertEquals(
                        Float.floatToRawIntBits(want.get(F32, 4 * i)),
                        Float.floatToRawIntBits(got.get(F32, 4 * i)),
                        "rows " + rows + " cols " + cols + (heap ? " heap" : " native") + " float " + i + " of "
                                + want.get(F32, 4 * i));
            }
        }
    }
}
