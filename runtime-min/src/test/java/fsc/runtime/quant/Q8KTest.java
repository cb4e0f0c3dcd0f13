package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.runtime.RuntimeFailure;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Q8K} against ggml's {@code quantize_row_q8_K_ref}, transcribed here with ggml's own
 * {@code nearest_int} (the {@code 1.5 * 2^23} bit trick) so the rounding rule is checked by a second
 * implementation, and against hand-worked blocks.
 */
class Q8KTest {
    /** ggml's {@code nearest_int}: add 12582912 (1.5 * 2^23) and read the mantissa bits. */
    private static int nearestInt(float f) {
        float v = f + 12582912f;
        return (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000;
    }

    @Test
    void matchesGgmlsReferenceQuantizerOnRandomRows() {
        Random rnd = new Random(11);
        for (int blocks : new int[] {1, 2, 3}) {
            float[] x = new float[blocks * 256];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(5) - 2));
            }
            Q8K q = Q8K.quantize(x);
            for (int b = 0; b < blocks; b++) {
                float max = 0;
                float amax = 0;
                for (int j = 0; j < 256; j++) {
                    float ax = Math.abs(x[256 * b + j]);
                    if (ax > amax) {
                        amax = ax;
                        max = x[256 * b + j];
                    }
                }
                float iscale = -127f / max;
                for (int j = 0; j < 256; j++) {
                    int expected = Math.min(127, nearestInt(iscale * x[256 * b + j]));
                    assertEquals(expected, q.quant(256 * b + j), "block " + b + " value " + j);
                }
                for (int j = 0; j < 16; j++) {
                    int s = 0;
                    for (int i = 0; i < 16; i++) {
                        s += q.quant(256 * b + 16 * j + i);
                    }
                    assertEquals(s, q.blockSum(16 * b + j));
                }
                assertEquals(1 / iscale, q.scale(b));
            }
        }
    }

    @Test
    void handWorkedBlock() {
        float[] x = new float[256];
        x[0] = -127f; // the largest magnitude sets iscale = -127 / -127 = 1, so q = rint(x) exactly
        x[1] = 127f; // same magnitude, later: the first one wins, so this stays +127 (not -127)
        x[2] = 2.5f; // ties go to even: 2
        x[3] = 3.5f; // 4
        x[4] = -0.5f; // 0
        x[5] = -1.5f; // -2
        x[17] = 50.25f; // 50
        Q8K q = Q8K.quantize(x);
        int[] expected = {-127, 127, 2, 4, 0, -2};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], q.quant(i), "value " + i);
        }
        assertEquals(50, q.quant(17));
        assertEquals(-127 + 127 + 2 + 4 + 0 - 2, q.blockSum(0));
        assertEquals(50, q.blockSum(1));
        assertEquals(1f, q.scale(0));
        assertEquals(50f, q.value(0, 17));
    }

    @Test
    void zeroBlockHasZeroScaleAndQuants() {
        float[] x = new float[512];
        x[300] = 3f; // only the second block is non-zero
        Q8K q = Q8K.quantize(x);
        assertEquals(0f, q.scale(0));
        for (int j = 0; j < 256; j++) {
            assertEquals(0, q.quant(j));
        }
        assertEquals(-127, q.quant(300));
        assertEquals(3f, q.value(0, 300), 1e-6);
    }

    @Test
    void rowsFromASegmentAreQuantizedIndependently() {
        Random rnd = new Random(5);
        float[] a = new float[256];
        float[] b = new float[256];
        for (int i = 0; i < 256; i++) {
            a[i] = (float) rnd.nextGaussian();
            b[i] = (float) rnd.nextGaussian() * 100;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4 + 4L * 512);
            MemorySegment.copy(a, 0, s, Dequantize.F32, 4, 256);
            MemorySegment.copy(b, 0, s, Dequantize.F32, 4 + 4L * 256, 256);
            Q8K both = Q8K.quantize(s, 4, 2, 256);
            Q8K qa = Q8K.quantize(a);
            Q8K qb = Q8K.quantize(b);
            for (int i = 0; i < 256; i++) {
                assertEquals(qa.quant(i), both.quant(i));
                assertEquals(qb.quant(i), both.quant(256 + i));
                assertEquals(qb.value(0, i), both.value(1, i));
            }
        }
    }

    @Test
    void rowsThatAreNotWholeBlocksFailLoudly() {
        assertThrows(RuntimeFailure.class, () -> Q8K.quantize(new float[100]));
    }
}
