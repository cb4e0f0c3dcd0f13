package fsc.runtime.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar reference dequantizers, transcribed from ggml's {@code dequantize_row_*} functions in
 * {@code ggml-quants.c} loop for loop. They are the oracle for the vector kernels in {@link
 * QuantDot} and the slow path for code that needs plain floats (embedding lookups of one row).
 */
public final class Dequantize {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Dequantize() {}

    /**
     * Dequantizes {@code n} elements (whole blocks) starting at byte {@code srcOffset} of {@code src}
     * into {@code dst[dstOffset..dstOffset+n)}.
     */
    public static void row(GgmlType type, MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        long blocks = type.bytesFor(n) / type.blockBytes();
        for (int b = 0; b < blocks; b++) {
            long x = srcOffset + (long) b * type.blockBytes();
            int y = dstOffset + b * type.blockSize();
            switch (type) {
                case F32 -> dst[y] = src.get(F32, x);
                case F16 -> dst[y] = f16(src, x);
                case BF16 -> dst[y] = bf16(src, x);
                case Q8_0 -> q8_0(src, x, dst, y);
                case Q4_0 -> q4_0(src, x, dst, y);
                case Q4_1 -> q4_1(src, x, dst, y);
                case Q4_K -> q4_K(src, x, dst, y);
                case Q5_K -> q5_K(src, x, dst, y);
                case Q6_K -> q6_K(src, x, dst, y);
            }
        }
    }

    /** The dot product of a quantized row with {@code x}, by dequantizing: the reference for {@link QuantDot}. */
    public static float dot(GgmlType type, MemorySegment row, long rowOffset, float[] x, int xOffset, int n) {
        float[] w = new float[n];
        row(type, row, rowOffset, w, 0, n);
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += w[i] * x[xOffset + i];
        }
        return sum;
    }

    static float f16(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(I16, at));
    }

    static float bf16(MemorySegment s, long at) {
        return Float.intBitsToFloat(s.get(I16, at) << 16);
    }

    static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    static int i8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at);
    }

    // block_q8_0: f16 d, int8 qs[32]
    private static void q8_0(MemorySegment s, long x, float[] y, int o) {
        float d = f16(s, x);
        for (int j = 0; j < 32; j++) {
            y[o + j] = i8(s, x + 2 + j) * d;
        }
    }

    // block_q4_0: f16 d, qs[16]; low nibbles are elements 0..15, high nibbles 16..31, offset by 8
    private static void q4_0(MemorySegment s, long x, float[] y, int o) {
        float d = f16(s, x);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, x + 2 + j);
            y[o + j] = ((q & 0x0F) - 8) * d;
            y[o + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    // block_q4_1: f16 d, f16 m, qs[16]; value = q*d + m
    private static void q4_1(MemorySegment s, long x, float[] y, int o) {
        float d = f16(s, x);
        float m = f16(s, x + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, x + 4 + j);
            y[o + j] = (q & 0x0F) * d + m;
            y[o + j + 16] = (q >>> 4) * d + m;
        }
    }

    /** ggml's {@code get_scale_min_k4}: sub-block {@code j}'s 6-bit scale, from 12 packed bytes at {@code at}. */
    static int scaleK4(MemorySegment s, long at, int j) {
        return j < 4 ? u8(s, at + j) & 63 : (u8(s, at + j + 4) & 0xF) | ((u8(s, at + j - 4) >>> 6) << 4);
    }

    /** ggml's {@code get_scale_min_k4}: sub-block {@code j}'s 6-bit min. */
    static int minK4(MemorySegment s, long at, int j) {
        return j < 4 ? u8(s, at + j + 4) & 63 : (u8(s, at + j + 4) >>> 4) | ((u8(s, at + j) >>> 6) << 4);
    }

    // block_q4_K: f16 d, f16 dmin, scales[12], qs[128]; 8 sub-blocks of 32
    private static void q4_K(MemorySegment s, long x, float[] y, int o) {
        float d = f16(s, x);
        float min = f16(s, x + 2);
        long q = x + 16;
        int is = 0;
        for (int j = 0; j < 256; j += 64) {
            float d1 = d * scaleK4(s, x + 4, is);
            float m1 = min * minK4(s, x + 4, is);
            float d2 = d * scaleK4(s, x + 4, is + 1);
            float m2 = min * minK4(s, x + 4, is + 1);
            for (int l = 0; l < 32; l++) {
                y[o++] = d1 * (u8(s, q + l) & 0xF) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[o++] = d2 * (u8(s, q + l) >>> 4) - m2;
            }
            q += 32;
            is += 2;
        }
    }

    // block_q5_K: f16 d, f16 dmin, scales[12], qh[32], qs[128]; qh adds a fifth bit
    private static void q5_K(MemorySegment s, long x, float[] y, int o) {
        float d = f16(s, x);
        float min = f16(s, x + 2);
        long qh = x + 16;
        long ql = x + 48;
        int is = 0;
        int u1 = 1;
        int u2 = 2;
        for (int j = 0; j < 256; j += 64) {
            float d1 = d * scaleK4(s, x + 4, is);
            float m1 = min * minK4(s, x + 4, is);
            float d2 = d * scaleK4(s, x + 4, is + 1);
            float m2 = min * minK4(s, x + 4, is + 1);
            for (int l = 0; l < 32; l++) {
                y[o++] = d1 * ((u8(s, ql + l) & 0xF) + ((u8(s, qh + l) & u1) != 0 ? 16 : 0)) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[o++] = d2 * ((u8(s, ql + l) >>> 4) + ((u8(s, qh + l) & u2) != 0 ? 16 : 0)) - m2;
            }
            ql += 32;
            is += 2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    // block_q6_K: ql[128], qh[64], int8 scales[16], f16 d; 16 sub-blocks of 16
    private static void q6_K(MemorySegment s, long x, float[] y, int o) {
        float d = f16(s, x + 208);
        long ql = x;
        long qh = x + 128;
        long sc = x + 192;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qh + l);
                int q1 = ((u8(s, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(s, ql + l + 32) & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((u8(s, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((u8(s, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[o + n + l] = d * i8(s, sc + is) * q1;
                y[o + n + l + 32] = d * i8(s, sc + is + 2) * q2;
                y[o + n + l + 64] = d * i8(s, sc + is + 4) * q3;
                y[o + n + l + 96] = d * i8(s, sc + is + 6) * q4;
            }
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}
