package fsc.runtime.quant;

import static fsc.runtime.quant.QuantDot.B;
import static fsc.runtime.quant.QuantDot.F;
import static fsc.runtime.quant.QuantDot.L;
import static fsc.runtime.quant.QuantDot.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector dot products for ggml's 256-element "K" super-blocks (Q4_K, Q5_K, Q6_K). Sub-block scales
 * and mins are decoded as scalars once per sub-block; the inner loops unpack {@link QuantDot#L}
 * values at a time straight from the packed bytes. For the affine types the minimum is applied
 * through {@code sum(x)} per sub-block: {@code sum(w*x) = d*sc*sum(q*x) - dmin*m*sum(x)}.
 *
 * <p>The lane sums are {@link fsc.runtime.kernels.Lanes#sum}'s tree written inline: a call C2 does
 * not inline boxes the vector it passes (64 bytes per row at 8 lanes, seen at {@code
 * -XX:MaxVectorSize=32}, where these kernels are the decode path for K-quants).
 */
final class KQuantDot {
    private KQuantDot() {}

    static float q4_K(MemorySegment w, long at, MemorySegment x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        FloatVector minAcc = FloatVector.zero(F);
        for (int b = 0; b < n / 256; b++, at += 144, xo += 256) {
            float d = Dequantize.f16(w, at);
            float dmin = Dequantize.f16(w, at + 2);
            for (int j = 0; j < 4; j++) { // 32 bytes hold sub-block 2j (low nibbles) and 2j+1 (high)
                long q = at + 16 + 32L * j;
                int x0 = xo + 64 * j;
                FloatVector qxLo = FloatVector.zero(F);
                FloatVector qxHi = FloatVector.zero(F);
                FloatVector sxLo = FloatVector.zero(F);
                FloatVector sxHi = FloatVector.zero(F);
                for (int i = 0; i < 32; i += L) {
                    ByteVector qb = ByteVector.fromMemorySegment(B, w, q + i, LE);
                    FloatVector xl = FloatVector.fromMemorySegment(F, x, 4L * (x0 + i), LE);
                    FloatVector xh = FloatVector.fromMemorySegment(F, x, 4L * (x0 + 32 + i), LE);
                    qxLo = ((FloatVector) (qb.and((byte) 0x0F)).convertShape(VectorOperators.B2F, F, 0)).fma(xl, qxLo);
                    qxHi = ((FloatVector)
                                    (qb.lanewise(VectorOperators.LSHR, 4)).convertShape(VectorOperators.B2F, F, 0))
                            .fma(xh, qxHi);
                    sxLo = sxLo.add(xl);
                    sxHi = sxHi.add(xh);
                }
                acc = qxLo.fma(FloatVector.broadcast(F, d * Dequantize.scaleK4(w, at + 4, 2 * j)), acc);
                acc = qxHi.fma(FloatVector.broadcast(F, d * Dequantize.scaleK4(w, at + 4, 2 * j + 1)), acc);
                minAcc = sxLo.fma(FloatVector.broadcast(F, dmin * Dequantize.minK4(w, at + 4, 2 * j)), minAcc);
                minAcc = sxHi.fma(FloatVector.broadcast(F, dmin * Dequantize.minK4(w, at + 4, 2 * j + 1)), minAcc);
            }
        }
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(QuantDot.ROTATE[h]));
        }
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            minAcc = minAcc.add(minAcc.rearrange(QuantDot.ROTATE[h]));
        }
        return acc.lane(0) - minAcc.lane(0);
    }

    static float q5_K(MemorySegment w, long at, MemorySegment x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        FloatVector minAcc = FloatVector.zero(F);
        for (int b = 0; b < n / 256; b++, at += 176, xo += 256) {
            float d = Dequantize.f16(w, at);
            float dmin = Dequantize.f16(w, at + 2);
            for (int j = 0; j < 4; j++) {
                long q = at + 48 + 32L * j;
                int x0 = xo + 64 * j;
                FloatVector qxLo = FloatVector.zero(F);
                FloatVector qxHi = FloatVector.zero(F);
                FloatVector sxLo = FloatVector.zero(F);
                FloatVector sxHi = FloatVector.zero(F);
                for (int i = 0; i < 32; i += L) {
                    ByteVector qb = ByteVector.fromMemorySegment(B, w, q + i, LE);
                    // qh bit 2j of byte i is the fifth bit of low-nibble value i, bit 2j+1 of the high one.
                    ByteVector qh = ByteVector.fromMemorySegment(B, w, at + 16 + i, LE);
                    ByteVector h0 = qh.lanewise(VectorOperators.LSHR, 2 * j)
                            .and((byte) 1)
                            .lanewise(VectorOperators.LSHL, 4);
                    ByteVector h1 = qh.lanewise(VectorOperators.LSHR, 2 * j + 1)
                            .and((byte) 1)
                            .lanewise(VectorOperators.LSHL, 4);
                    FloatVector xl = FloatVector.fromMemorySegment(F, x, 4L * (x0 + i), LE);
                    FloatVector xh = FloatVector.fromMemorySegment(F, x, 4L * (x0 + 32 + i), LE);
                    qxLo = ((FloatVector) (qb.and((byte) 0x0F).or(h0)).convertShape(VectorOperators.B2F, F, 0))
                            .fma(xl, qxLo);
                    qxHi = ((FloatVector) (qb.lanewise(VectorOperators.LSHR, 4).or(h1))
                                    .convertShape(VectorOperators.B2F, F, 0))
                            .fma(xh, qxHi);
                    sxLo = sxLo.add(xl);
                    sxHi = sxHi.add(xh);
                }
                acc = qxLo.fma(FloatVector.broadcast(F, d * Dequantize.scaleK4(w, at + 4, 2 * j)), acc);
                acc = qxHi.fma(FloatVector.broadcast(F, d * Dequantize.scaleK4(w, at + 4, 2 * j + 1)), acc);
                minAcc = sxLo.fma(FloatVector.broadcast(F, dmin * Dequantize.minK4(w, at + 4, 2 * j)), minAcc);
                minAcc = sxHi.fma(FloatVector.broadcast(F, dmin * Dequantize.minK4(w, at + 4, 2 * j + 1)), minAcc);
            }
        }
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(QuantDot.ROTATE[h]));
        }
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            minAcc = minAcc.add(minAcc.rearrange(QuantDot.ROTATE[h]));
        }
        return acc.lane(0) - minAcc.lane(0);
    }

    static float q6_K(MemorySegment w, long at, MemorySegment x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 256; b++, at += 210, xo += 256) {
            float d = Dequantize.f16(w, at + 208);
            for (int half = 0; half < 2; half++) {
                long ql = at + 64L * half;
                long qh = at + 128 + 32L * half;
                long sc = at + 192 + 8L * half;
                int x0 = xo + 128 * half;
                // L <= 16, so the L values of one step share a sub-block (16 values) and a scale.
                for (int l = 0; l < 32; l += L) {
                    int is = l / 16;
                    ByteVector a = ByteVector.fromMemorySegment(B, w, ql + l, LE);
                    ByteVector c = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B, w, qh + l, LE);
                    ByteVector q1 = a.and((byte) 0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 0)
                                    .and((byte) 3)
                                    .lanewise(VectorOperators.LSHL, 4))
                            .sub((byte) 32);
                    ByteVector q2 = c.and((byte) 0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 2)
                                    .and((byte) 3)
                                    .lanewise(VectorOperators.LSHL, 4))
                            .sub((byte) 32);
                    ByteVector q3 = a.lanewise(VectorOperators.LSHR, 4)
                            .or(h.lanewise(VectorOperators.LSHR, 4)
                                    .and((byte) 3)
                                    .lanewise(VectorOperators.LSHL, 4))
                            .sub((byte) 32);
                    ByteVector q4 = c.lanewise(VectorOperators.LSHR, 4)
                            .or(h.lanewise(VectorOperators.LSHR, 6)
                                    .and((byte) 3)
                                    .lanewise(VectorOperators.LSHL, 4))
                            .sub((byte) 32);
                    acc = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0))
                            .mul(FloatVector.fromMemorySegment(F, x, 4L * (x0 + l), LE))
                            .fma(FloatVector.broadcast(F, d * Dequantize.i8(w, sc + is)), acc);
                    acc = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 0))
                            .mul(FloatVector.fromMemorySegment(F, x, 4L * (x0 + 32 + l), LE))
                            .fma(FloatVector.broadcast(F, d * Dequantize.i8(w, sc + is + 2)), acc);
                    acc = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, 0))
                            .mul(FloatVector.fromMemorySegment(F, x, 4L * (x0 + 64 + l), LE))
                            .fma(FloatVector.broadcast(F, d * Dequantize.i8(w, sc + is + 4)), acc);
                    acc = ((FloatVector) q4.convertShape(VectorOperators.B2F, F, 0))
                            .mul(FloatVector.fromMemorySegment(F, x, 4L * (x0 + 96 + l), LE))
                            .fma(FloatVector.broadcast(F, d * Dequantize.i8(w, sc + is + 6)), acc);
                }
            }
        }
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(QuantDot.ROTATE[h]));
        }
        return acc.lane(0);
    }
}
