package fsc.runtime.quant;

import static fsc.runtime.quant.QuantDot.B;
import static fsc.runtime.quant.QuantDot.I;
import static fsc.runtime.quant.QuantDot.L;
import static fsc.runtime.quant.QuantDot.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * K-quant weight rows times {@link Q8K} activations in integers, as llama.cpp's CPU backend computes
 * them: per super-block the products {@code q_w * q_x} and their scaled sums are exact int32
 * vectors ({@code B2I} widening, {@code mul}, {@code add}), added across lanes (exact), and only
 * then rounded, in {@link Q8KDotReference}'s (ggml's generic code's) steps and order: {@code sum +=
 * (d_w·d_x)·sumi − (dmin_w·d_x)·summs}, the affine types' minimum term from the activation's
 * {@code bsums}. So the vector kernels, the reference and the machine code of {@link Q8KMatVec}
 * give the same bits. Integer sums cannot overflow: at most {@code 63 * 15 * 127 * 256} (Q4_K) or {@code
 * 127 * 32 * 127 * 256} (Q6_K), both below {@code 2^31}. {@link Q8KDotReference} is the scalar
 * reference; vector values never cross a method call (see {@link QuantDot}). Weight bytes are
 * widened to int lanes ({@code ZERO_EXTEND_B2I}) before the nibble and bit splits: x86 has no
 * byte-lane shift (C2 emulates one by widening and narrowing around each shift).
 */
public final class Q8KDot {
    private Q8KDot() {}

    /** Weight row of {@code type} from byte {@code at} of {@code w} times row {@code row} of {@code x}. */
    public static float dot(GgmlType type, MemorySegment w, long at, Q8K x, int row) {
        if (!QuantDot.VECTORIZED) {
            return Q8KDotReference.dot(type, w, at, x, row);
        }
        int b0 = row * x.k() / Q8K.BLOCK;
        int blocks = x.k() / Q8K.BLOCK;
        return switch (type) {
            case Q4_K -> q4_K(w, at, x, b0, blocks);
            case Q5_K -> q5_K(w, at, x, b0, blocks);
            case Q6_K -> q6_K(w, at, x, b0, blocks);
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1 -> throw Q8KDotReference.notK(type);
        };
    }

    /** Whether {@code type}'s rows pair with Q8_K activations (llama.cpp's {@code vec_dot_type}). */
    public static boolean pairsWith(GgmlType type) {
        return type == GgmlType.Q4_K || type == GgmlType.Q5_K || type == GgmlType.Q6_K;
    }

    static float q4_K(MemorySegment w, long at, Q8K x, int b0, int blocks) {
        float acc = 0;
        byte[] qx = x.qs;
        for (int b = b0; b < b0 + blocks; b++, at += 144) {
            int xo = b * Q8K.BLOCK;
            IntVector sum = IntVector.zero(I);
            int summs = 0;
            for (int j = 0; j < 4; j++) {
                long q = at + 16 + 32L * j;
                int x0 = xo + 64 * j;
                IntVector lo = IntVector.zero(I);
                IntVector hi = IntVector.zero(I);
                for (int i = 0; i < 32; i += L) {
                    IntVector qb = (IntVector) ByteVector.fromMemorySegment(B, w, q + i, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector wl = qb.and(0x0F);
                    IntVector wh = qb.lanewise(VectorOperators.LSHR, 4);
                    IntVector xl =
                            (IntVector) ByteVector.fromArray(B, qx, x0 + i).convertShape(VectorOperators.B2I, I, 0);
                    IntVector xh = (IntVector)
                            ByteVector.fromArray(B, qx, x0 + 32 + i).convertShape(VectorOperators.B2I, I, 0);
                    lo = wl.mul(xl).add(lo);
                    hi = wh.mul(xh).add(hi);
                }
                sum = lo.mul(Dequantize.scaleK4(w, at + 4, 2 * j)).add(sum);
                sum = hi.mul(Dequantize.scaleK4(w, at + 4, 2 * j + 1)).add(sum);
                summs += minTerm(w, at, x, b, j);
            }
            int sumi = sum.reduceLanes(VectorOperators.ADD); // exact: any order gives the same int
            float d = Dequantize.f16(w, at) * x.d[b];
            float dmin = Dequantize.f16(w, at + 2) * x.d[b];
            acc += d * sumi - dmin * summs;
        }
        return acc;
    }

    /**
     * The minimum term of sub-blocks {@code 2j} and {@code 2j + 1} of Q4_K/Q5_K block {@code b} (they
     * share the 12-byte scale/min layout at {@code at + 4}): each 6-bit min times the Q8_K sums of its
     * 32 activations.
     */
    private static int minTerm(MemorySegment w, long at, Q8K x, int b, int j) {
        int s = 16 * b + 4 * j;
        return Dequantize.minK4(w, at + 4, 2 * j) * (x.bsums[s] + x.bsums[s + 1])
                + Dequantize.minK4(w, at + 4, 2 * j + 1) * (x.bsums[s + 2] + x.bsums[s + 3]);
    }

    static float q5_K(MemorySegment w, long at, Q8K x, int b0, int blocks) {
        float acc = 0;
        byte[] qx = x.qs;
        for (int b = b0; b < b0 + blocks; b++, at += 176) {
            int xo = b * Q8K.BLOCK;
            IntVector sum = IntVector.zero(I);
            int summs = 0;
            for (int j = 0; j < 4; j++) {
                long q = at + 48 + 32L * j;
                int x0 = xo + 64 * j;
                IntVector lo = IntVector.zero(I);
                IntVector hi = IntVector.zero(I);
                for (int i = 0; i < 32; i += L) {
                    IntVector qb = (IntVector) ByteVector.fromMemorySegment(B, w, q + i, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    // qh bit 2j of byte i is the fifth bit of low-nibble value i, bit 2j+1 of the high one.
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, w, at + 16 + i, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h0 =
                            qh.lanewise(VectorOperators.LSHR, 2 * j).and(1).lanewise(VectorOperators.LSHL, 4);
                    IntVector h1 =
                            qh.lanewise(VectorOperators.LSHR, 2 * j + 1).and(1).lanewise(VectorOperators.LSHL, 4);
                    IntVector wl = qb.and(0x0F).or(h0);
                    IntVector wh = qb.lanewise(VectorOperators.LSHR, 4).or(h1);
                    IntVector xl =
                            (IntVector) ByteVector.fromArray(B, qx, x0 + i).convertShape(VectorOperators.B2I, I, 0);
                    IntVector xh = (IntVector)
                            ByteVector.fromArray(B, qx, x0 + 32 + i).convertShape(VectorOperators.B2I, I, 0);
                    lo = wl.mul(xl).add(lo);
                    hi = wh.mul(xh).add(hi);
                }
                sum = lo.mul(Dequantize.scaleK4(w, at + 4, 2 * j)).add(sum);
                sum = hi.mul(Dequantize.scaleK4(w, at + 4, 2 * j + 1)).add(sum);
                summs += minTerm(w, at, x, b, j);
            }
            int sumi = sum.reduceLanes(VectorOperators.ADD); // exact: any order gives the same int
            float d = Dequantize.f16(w, at) * x.d[b];
            float dmin = Dequantize.f16(w, at + 2) * x.d[b];
            acc += d * sumi - dmin * summs;
        }
        return acc;
    }

    static float q6_K(MemorySegment w, long at, Q8K x, int b0, int blocks) {
        float acc = 0;
        byte[] qx = x.qs;
        for (int b = b0; b < b0 + blocks; b++, at += 210) {
            IntVector sum = IntVector.zero(I);
            for (int half = 0; half < 2; half++) {
                long ql = at + 64L * half;
                long qh = at + 128 + 32L * half;
                long sc = at + 192 + 8L * half;
                int x0 = b * Q8K.BLOCK + 128 * half;
                // L <= 16, so the L values of one step share a sub-block (16 values) and a scale.
                for (int l = 0; l < 32; l += L) {
                    int is = l / 16;
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B, w, ql + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector c = (IntVector) ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B, w, qh + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector q1 = a.and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHL, 4).and(0x30))
                            .sub(32);
                    IntVector q2 = c.and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHL, 2).and(0x30))
                            .sub(32);
                    IntVector q3 =
                            a.lanewise(VectorOperators.LSHR, 4).or(h.and(0x30)).sub(32);
                    IntVector q4 = c.lanewise(VectorOperators.LSHR, 4)
                            .or(h.lanewise(VectorOperators.LSHR, 2).and(0x30))
                            .sub(32);
                    IntVector p1 = q1.mul(
                            (IntVector) ByteVector.fromArray(B, qx, x0 + l).convertShape(VectorOperators.B2I, I, 0));
                    IntVector p2 = q2.mul((IntVector)
                            ByteVector.fromArray(B, qx, x0 + 32 + l).convertShape(VectorOperators.B2I, I, 0));
                    IntVector p3 = q3.mul((IntVector)
                            ByteVector.fromArray(B, qx, x0 + 64 + l).convertShape(VectorOperators.B2I, I, 0));
                    IntVector p4 = q4.mul((IntVector)
                            ByteVector.fromArray(B, qx, x0 + 96 + l).convertShape(VectorOperators.B2I, I, 0));
                    sum = p1.mul(Dequantize.i8(w, sc + is)).add(sum);
                    sum = p2.mul(Dequantize.i8(w, sc + is + 2)).add(sum);
                    sum = p3.mul(Dequantize.i8(w, sc + is + 4)).add(sum);
                    sum = p4.mul(Dequantize.i8(w, sc + is + 6)).add(sum);
                }
            }
            acc += Dequantize.f16(w, at + 208) * x.d[b] * sum.reduceLanes(VectorOperators.ADD);
        }
        return acc;
    }
}
