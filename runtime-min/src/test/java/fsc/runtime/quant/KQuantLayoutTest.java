package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Pins ggml's Q4_K and Q6_K layouts with hand-built blocks whose values were worked out by hand from
 * {@code block_q4_K} / {@code block_q6_K} and {@code dequantize_row_q4_K} / {@code _q6_K}, not from
 * fsc's own quantizers: a layout that is merely self-consistent (writer and reader wrong the same way)
 * fails here. Both the scalar reference and the vector dot kernels are checked.
 */
class KQuantLayoutTest {
    /**
     * Q4_K with d = 1, dmin = 0.5, sub-block scales {1, 2, 3, 4, 17, 2, 35, 63} and mins {0, 1, 2, 3,
     * 16, 5, 48, 9}: sub-blocks 4..7 need the 2 high bits that {@code get_scale_min_k4} takes from
     * bytes 0..7. Byte {@code 32j+l} of qs holds {@code l%16} in its low nibble (element {@code 64j+l},
     * sub-block 2j) and {@code 15-l%16} in its high nibble (element {@code 64j+32+l}, sub-block 2j+1).
     */
    private static MemorySegment q4KBlock() {
        byte[] b = new byte[144];
        putF16(b, 0, 0x3C00); // d = 1.0
        putF16(b, 2, 0x3800); // dmin = 0.5
        // scales[0..3] = scale j | (scale j+4 >> 4) << 6; scales[4..7] = min j | (min j+4 >> 4) << 6;
        // scales[8..11] = (scale j+4 & 15) | (min j+4 & 15) << 4.
        int[] packed = {65, 2, 131, 196, 64, 1, 194, 3, 1, 82, 3, 159};
        for (int i = 0; i < 12; i++) {
            b[4 + i] = (byte) packed[i];
        }
        for (int i = 0; i < 128; i++) {
            int l = i % 32;
            b[16 + i] = (byte) ((l % 16) | ((15 - l % 16) << 4));
        }
        return MemorySegment.ofArray(b);
    }

    /**
     * Q6_K with d = 0.25 and scales {1, -2, 3, -4, ..., 15, -16}. {@code ql[i]} = {@code i%16} in
     * the low nibble and {@code (i/16)%16} in the high one; every {@code qh} byte is 0xE4, i.e. the
     * 2-bit fields 0, 1, 2, 3 for the four 32-element quarters of each 128-element half.
     */
    private static MemorySegment q6KBlock() {
        byte[] b = new byte[210];
        for (int i = 0; i < 128; i++) {
            b[i] = (byte) ((i % 16) | (((i / 16) % 16) << 4));
        }
        for (int i = 0; i < 64; i++) {
            b[128 + i] = (byte) 0xE4;
        }
        for (int k = 0; k < 16; k++) {
            b[192 + k] = (byte) (k % 2 == 0 ? k + 1 : -(k + 1));
        }
        putF16(b, 208, 0x3400); // d = 0.25
        return MemorySegment.ofArray(b);
    }

    @Test
    void q4KElementsWorkedOutByHand() {
        float[] w = new float[256];
        Dequantize.row(GgmlType.Q4_K, q4KBlock(), 0, w, 0, 256);
        assertEquals(0.0f, w[0]); // sub-block 0, q 0: 1*0 - 0.5*0
        assertEquals(27.5f, w[33]); // sub-block 1 (high nibbles of bytes 0..31), q 15-1: 2*14 - 0.5*1
        assertEquals(26.0f, w[130]); // sub-block 4, q 2: 17*2 - 0.5*16
        assertEquals(19.5f, w[180]); // sub-block 5, q 15-4: 2*11 - 0.5*5
        assertEquals(256.0f, w[200]); // sub-block 6, q 8: 35*8 - 0.5*48
        assertEquals(-4.5f, w[255]); // sub-block 7, q 0: 63*0 - 0.5*9
        assertKernelsAgree(GgmlType.Q4_K, q4KBlock(), w);
    }

    @Test
    void q6KElementsWorkedOutByHand() {
        float[] w = new float[256];
        Dequantize.row(GgmlType.Q6_K, q6KBlock(), 0, w, 0, 256);
        assertEquals(-8.0f, w[0]); // quarter 0, ql[0] low 0, field 0: q 0-32; scale 1
        assertEquals(-8.25f, w[37]); // quarter 1, ql[37] low 5, field 1: 21-32; scale[2] 3
        assertEquals(-1.5f, w[90]); // quarter 2, ql[26] high 1, field 2: 33-32; scale[5] -6
        assertEquals(-38.0f, w[127]); // quarter 3, ql[63] high 3, field 3: 51-32; scale[7] -8
        assertEquals(13.0f, w[200]); // half 1 quarter 2, ql[72] high 4, field 2: 36-32; scale[12] 13
        assertEquals(-92.0f, w[255]); // half 1 quarter 3, ql[127] high 7, field 3: 55-32; scale[15] -16
        assertKernelsAgree(GgmlType.Q6_K, q6KBlock(), w);
    }

    /** The vector dot picks single elements (one-hot x) and sums a ramp like the scalar values. */
    private static void assertKernelsAgree(GgmlType type, MemorySegment block, float[] w) {
        for (int i : new int[] {0, 33, 37, 90, 127, 130, 180, 200, 255}) {
            float[] x = new float[256];
            x[i] = 1;
            assertEquals(w[i], QuantDot.dot(type, block, 0, x, 0, 256), "element " + i);
        }
        float[] ramp = new float[256];
        double expected = 0;
        for (int i = 0; i < 256; i++) {
            ramp[i] = (i % 7) - 3;
            expected += (double) w[i] * ramp[i];
        }
        assertEquals(expected, QuantDot.dot(type, block, 0, ramp, 0, 256), 1e-3);
    }

    private static void putF16(byte[] b, int at, int bits) {
        b[at] = (byte) bits;
        b[at + 1] = (byte) (bits >>> 8);
    }
}
