package fsc.frontend.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Test oracle: ggml's scalar {@code dequantize_row_*} functions transcribed literally, to check
 * that {@link GgufQuantizer} writes the layouts ggml reads.
 */
final class ReferenceDequant {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ReferenceDequant() {}

    static float[] dequantize(GgmlType type, MemorySegment src, int n) {
        float[] y = new float[n];
        for (int b = 0; b < n / type.blockSize(); b++) {
            long x = (long) b * type.blockBytes();
            int o = b * type.blockSize();
            switch (type) {
                case F32 -> y[o] = src.get(F32, x);
                case F16 -> y[o] = f16(src, x);
                case BF16 -> y[o] = Float.intBitsToFloat(src.get(I16, x) << 16);
                case Q8_0 -> {
                    float d = f16(src, x);
                    for (int j = 0; j < 32; j++) {
                        y[o + j] = d * src.get(ValueLayout.JAVA_BYTE, x + 2 + j);
                    }
                }
                case Q4_0 -> {
                    float d = f16(src, x);
                    for (int j = 0; j < 16; j++) {
                        int q = u8(src, x + 2 + j);
                        y[o + j] = ((q & 0xF) - 8) * d;
                        y[o + j + 16] = ((q >> 4) - 8) * d;
                    }
                }
                case Q4_1 -> {
                    float d = f16(src, x);
                    float m = f16(src, x + 2);
                    for (int j = 0; j < 16; j++) {
                        int q = u8(src, x + 4 + j);
                        y[o + j] = (q & 0xF) * d + m;
                        y[o + j + 16] = (q >> 4) * d + m;
                    }
                }
                case Q4_K -> q4k(src, x, y, o);
                case Q6_K -> q6k(src, x, y, o);
                default -> throw new IllegalArgumentException("no reference for " + type);
            }
        }
        return y;
    }

    private static void q4k(MemorySegment src, long x, float[] y, int o) {
        float d = f16(src, x);
        float min = f16(src, x + 2);
        int[] sc = new int[12];
        for (int i = 0; i < 12; i++) {
            sc[i] = u8(src, x + 4 + i);
        }
        long q = x + 16;
        int is = 0;
        for (int j = 0; j < 256; j += 64) {
            float d1 = d * scale(is, sc);
            float m1 = min * minOf(is, sc);
            float d2 = d * scale(is + 1, sc);
            float m2 = min * minOf(is + 1, sc);
            for (int l = 0; l < 32; l++) {
                y[o++] = d1 * (u8(src, q + l) & 0xF) - m1;
            }
            for (int l = 0; l < 32; l++) {
                y[o++] = d2 * (u8(src, q + l) >> 4) - m2;
            }
            q += 32;
            is += 2;
        }
    }

    private static int scale(int j, int[] q) {
        return j < 4 ? q[j] & 63 : (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    }

    private static int minOf(int j, int[] q) {
        return j < 4 ? q[j + 4] & 63 : (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }

    private static void q6k(MemorySegment src, long x, float[] y, int o) {
        float d = f16(src, x + 208);
        long ql = x;
        long qh = x + 128;
        long sc = x + 192;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(src, qh + l);
                int q1 = ((u8(src, ql + l) & 0xF) | (((h >> 0) & 3) << 4)) - 32;
                int q2 = ((u8(src, ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((u8(src, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((u8(src, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                y[o + n + l] = d * src.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                y[o + n + l + 32] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                y[o + n + l + 64] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                y[o + n + l + 96] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }

    private static float f16(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(I16, at));
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }
}
