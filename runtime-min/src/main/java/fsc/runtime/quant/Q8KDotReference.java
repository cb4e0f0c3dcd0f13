package fsc.runtime.quant;

import fsc.runtime.RuntimeFailure;
import java.lang.foreign.MemorySegment;

/**
 * Scalar K-quant × {@link Q8K} dot products, written as ggml's {@code ggml_vec_dot_q*_K_q8_K}
 * generic code: per super-block the integer sums {@code sumi = sum_j scale_j * sum_i q_i * q8_i}
 * are exact, and only {@code d_w * d_x * sumi} (less {@code dmin_w * d_x * sum_j min_j * bsum_j}
 * for the affine types) is rounded, once per 256 values. The reference {@link Q8KDot}'s vector
 * kernels are tested against, and the path taken where vectors do not run.
 */
public final class Q8KDotReference {
    private Q8KDotReference() {}

    /** Weight row of {@code type} from byte {@code at} of {@code w} times row {@code row} of {@code x}. */
    public static float dot(GgmlType type, MemorySegment w, long at, Q8K x, int row) {
        int b0 = row * x.k() / Q8K.BLOCK;
        int blocks = x.k() / Q8K.BLOCK;
        return switch (type) {
            case Q4_K -> q4_K(w, at, x, b0, blocks);
            case Q5_K -> q5_K(w, at, x, b0, blocks);
            case Q6_K -> q6_K(w, at, x, b0, blocks);
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1 -> throw notK(type);
        };
    }

    static RuntimeFailure notK(GgmlType type) {
        return new RuntimeFailure("Q8_K activations pair with K-quant weights (Q4_K, Q5_K, Q6_K), not " + type);
    }

    static float q4_K(MemorySegment w, long at, Q8K x, int b0, int blocks) {
        float sum = 0;
        for (int b = b0; b < b0 + blocks; b++, at += 144) {
            int xo = b * Q8K.BLOCK;
            int sumi = 0;
            int summs = 0;
            for (int j = 0; j < 4; j++) { // 32 bytes: sub-block 2j in the low nibbles, 2j+1 in the high
                int lo = 0;
                int hi = 0;
                for (int i = 0; i < 32; i++) {
                    int q = Dequantize.u8(w, at + 16 + 32L * j + i);
                    lo += (q & 0x0F) * x.qs[xo + 64 * j + i];
                    hi += (q >>> 4) * x.qs[xo + 64 * j + 32 + i];
                }
                sumi += Dequantize.scaleK4(w, at + 4, 2 * j) * lo + Dequantize.scaleK4(w, at + 4, 2 * j + 1) * hi;
                summs += Dequantize.minK4(w, at + 4, 2 * j) * (x.bsums[16 * b + 4 * j] + x.bsums[16 * b + 4 * j + 1])
                        + Dequantize.minK4(w, at + 4, 2 * j + 1)
                                * (x.bsums[16 * b + 4 * j + 2] + x.bsums[16 * b + 4 * j + 3]);
            }
            float d = Dequantize.f16(w, at) * x.d[b];
            float dmin = Dequantize.f16(w, at + 2) * x.d[b];
            sum += d * sumi - dmin * summs;
        }
        return sum;
    }

    static float q5_K(MemorySegment w, long at, Q8K x, int b0, int blocks) {
        float sum = 0;
        for (int b = b0; b < b0 + blocks; b++, at += 176) {
            int xo = b * Q8K.BLOCK;
            int sumi = 0;
            int summs = 0;
            for (int j = 0; j < 4; j++) {
                int lo = 0;
                int hi = 0;
                for (int i = 0; i < 32; i++) {
                    int q = Dequantize.u8(w, at + 48 + 32L * j + i);
                    int h = Dequantize.u8(w, at + 16 + i);
                    lo += ((q & 0x0F) | ((h >>> (2 * j)) & 1) << 4) * x.qs[xo + 64 * j + i];
                    hi += ((q >>> 4) | ((h >>> (2 * j + 1)) & 1) << 4) * x.qs[xo + 64 * j + 32 + i];
                }
                sumi += Dequantize.scaleK4(w, at + 4, 2 * j) * lo + Dequantize.scaleK4(w, at + 4, 2 * j + 1) * hi;
                summs += Dequantize.minK4(w, at + 4, 2 * j) * (x.bsums[16 * b + 4 * j] + x.bsums[16 * b + 4 * j + 1])
                        + Dequantize.minK4(w, at + 4, 2 * j + 1)
                                * (x.bsums[16 * b + 4 * j + 2] + x.bsums[16 * b + 4 * j + 3]);
            }
            float d = Dequantize.f16(w, at) * x.d[b];
            float dmin = Dequantize.f16(w, at + 2) * x.d[b];
            sum += d * sumi - dmin * summs;
        }
        return sum;
    }

    static float q6_K(MemorySegment w, long at, Q8K x, int b0, int blocks) {
        float sum = 0;
        for (int b = b0; b < b0 + blocks; b++, at += 210) {
            int sumi = 0;
            for (int half = 0; half < 2; half++) {
                long ql = at + 64L * half;
                long qh = at + 128 + 32L * half;
                long sc = at + 192 + 8L * half;
                int x0 = b * Q8K.BLOCK + 128 * half;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = Dequantize.u8(w, ql + l);
                    int c = Dequantize.u8(w, ql + 32 + l);
                    int h = Dequantize.u8(w, qh + l);
                    int q1 = ((a & 0x0F) | (h & 3) << 4) - 32;
                    int q2 = ((c & 0x0F) | ((h >>> 2) & 3) << 4) - 32;
                    int q3 = ((a >>> 4) | ((h >>> 4) & 3) << 4) - 32;
                    int q4 = ((c >>> 4) | ((h >>> 6) & 3) << 4) - 32;
                    sumi += Dequantize.i8(w, sc + is) * q1 * x.qs[x0 + l]
                            + Dequantize.i8(w, sc + is + 2) * q2 * x.qs[x0 + 32 + l]
                            + Dequantize.i8(w, sc + is + 4) * q3 * x.qs[x0 + 64 + l]
                            + Dequantize.i8(w, sc + is + 6) * q4 * x.qs[x0 + 96 + l];
                }
            }
            sum += Dequantize.f16(w, at + 208) * x.d[b] * sumi;
        }
        return sum;
    }
}
