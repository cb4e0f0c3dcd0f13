package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.runtime.RuntimeFailure;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Q80} against llama.cpp's x86 {@code quantize_row_q8_0} (the AVX path of {@code
 * ggml-cpu/arch/x86/quants.c}), transcribed here with its own operations: the vector max of
 * {@code |x|}, {@code d = max / 127.f} stored through {@code vcvtps2ph}, {@code id = 127.f / max},
 * {@code _mm256_round_ps(x · id, _MM_ROUND_NEAREST)}; and {@link Q80Dot} against the exact dot
 * product of the dequantized values.
 */
class Q80Test {
    /** ggml's x86 quantization of one block: the quants, and d as the float of its f16. */
    private static float ggmlBlock(float[] x, int at, byte[] q) {
        float max = 0;
        for (int j = 0; j < 32; j++) {
            max = Math.max(max, Math.abs(x[at + j]));
        }
        float d = max / 127.f;
        float id = max != 0.0f ? 127.f / max : 0.0f;
        for (int j = 0; j < 32; j++) {
            q[j] = (byte) (int) Math.rint(x[at + j] * id); // round to nearest, ties to even
        }
        return Float.float16ToFloat(Float.floatToFloat16(d));
    }

    @Test
    void quantizesAsLlamaCppOnX86() {
        Random rnd = new Random(7);
        int rows = 3;
        int k = 256;
        float[] x = new float[rows * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * (i % 61 == 0 ? 40 : 1));
        }
        for (int i = 32; i < 64; i++) {
            x[i] = 0; // a block of zeros: d = 0, q = 0
        }
        // Values whose scaled form is exactly half-way: ties go to the even integer.
        for (int j = 0; j < 32; j++) {
            x[k + j] = j == 0 ? 127 : (j % 2 == 0 ? 2.5f : -3.5f);
        }
        Q80 q = Q80.quantize(MemorySegment.ofArray(x), 0, rows, k);
        byte[] expected = new byte[32];
        for (int t = 0; t < rows; t++) {
            for (int b = 0; b < k / 32; b++) {
                float d = ggmlBlock(x, t * k + 32 * b, expected);
                assertEquals(
                        Float.floatToRawIntBits(d),
                        Float.floatToRawIntBits(q.scale(t, b)),
                        "d of row " + t + " block " + b);
                for (int j = 0; j < 32; j++) {
                    assertEquals(expected[j], q.quant(t, 32 * b + j), "row " + t + " value " + (32 * b + j));
                }
            }
        }
        assertEquals(2, q.quant(1, 2), "2.5 rounds to 2 (even)");
        assertEquals(-4, q.quant(1, 1), "-3.5 rounds to -4 (even)");
        assertEquals(0, q.scale(0, 1));
    }

    @Test
    void reusesAnObjectOfTheSameShape() {
        float[] x = new float[64];
        Q80 a = Q80.quantize(MemorySegment.ofArray(x), 0, 1, 64);
        assertSame(a, Q80.quantize(MemorySegment.ofArray(x), 0, 1, 64, a));
        assertThrows(RuntimeFailure.class, () -> Q80.quantize(new float[48]));
    }

    @Test
    void theDotIsCloseToTheExactDotOfTheDequantizedValues() {
        Random rnd = new Random(11);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            for (GgmlType type : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q8_0}) {
                int k = 1024;
                MemorySegment w = RandomWeights.of(arena, type, 3, k, rnd);
                float[] x = new float[k];
                for (int i = 0; i < k; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                Q80 q = Q80.quantize(x);
                float[] row = new float[k];
                for (int r = 0; r < 3; r++) {
                    Dequantize.row(type, w, r * type.bytesFor(k), row, 0, k);
                    double exact = 0;
                    double mag = 0;
                    for (int i = 0; i < k; i++) {
                        exact += (double) row[i] * q.value(0, i);
                        mag += Math.abs((double) row[i] * q.value(0, i));
                    }
                    float dot = Q80Dot.dot(type, w, r * type.bytesFor(k), q, 0);
                    assertEquals(exact, dot, 1e-5 * mag, type + " row " + r);
                }
            }
        }
    }
}
