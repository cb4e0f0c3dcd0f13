package fsc.runtime.quant;

import fsc.runtime.kernels.VectorWarmth;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector dequantization of whole blocks into a heap {@code float[]}: what the prefill GEMM runs once
 * per weight tile. Q4_0 and Q8_0 use {@link QuantDotRows#dequantize}; Q4_K and Q6_K (the two types of
 * a Q4_K_M file) are here, with the quants widened to int lanes once ({@code ZERO_EXTEND_B2I}; x86
 * has no byte shifts, so nibble and 2-bit fields are split on int lanes), then {@code I2F}. Every
 * value is computed with the same float operations in the same order as {@link Dequantize}'s
 * scalar transcription of ggml ({@code d1 * q - m1}, {@code (d * sc) * q}; no fused multiply-add), so
 * the result is bit-identical to it. Other types fall back to {@link Dequantize#row}.
 */
public final class RowDequantizer {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    /** The K-quant loops step 16 quants at a time, in whole vectors. */
    static final boolean VECTORIZED = L == 8 || L == 16;

    /**
     * The vector dequantizers, warm once a timed row takes under 20 ns per vector of floats
     * (compiled: about 1; the fallback: hundreds); until then {@link Dequantize#row}, which every
     * vector form equals.
     */
    private static final VectorWarmth WARMTH = new VectorWarmth(20);

    private RowDequantizer() {}

    /**
     * Dequantizes {@code n} elements (whole blocks) starting at byte {@code offset} of {@code w} into
     * {@code dst[dstOffset..dstOffset+n)}; equal to {@link Dequantize#row}.
     */
    public static void dequantize(GgmlType type, MemorySegment w, long offset, int n, float[] dst, int dstOffset) {
        if (type != GgmlType.F32 && !WARMTH.warm()) {
            if (!WARMTH.sample()) { // Dequantize.row gives the same values in plain code
                Dequantize.row(type, w, offset, dst, dstOffset, n);
                return;
            }
            long start = System.nanoTime();
            dequantizeVector(type, w, offset, n, dst, dstOffset);
            WARMTH.timed(System.nanoTime() - start, n / L);
            return;
        }
        dequantizeVector(type, w, offset, n, dst, dstOffset);
    }

    /** {@link #dequantize} in vector code (Dequantize.row for the types it has none for). */
    static void dequantizeVector(GgmlType type, MemorySegment w, long offset, int n, float[] dst, int dstOffset) {
        switch (type) {
            case F32 -> MemorySegment.copy(w, F32, offset, dst, dstOffset, n);
            case Q4_0, Q8_0 -> QuantDotRows.dequantize(type, w, offset, n, dst, dstOffset);
            case Q4_K -> {
                if (VECTORIZED) {
                    for (int b = 0; b < n / 256; b++) {
                        q4K(w, offset + 144L * b, dst, dstOffset + 256 * b);
                    }
                } else {
                    Dequantize.row(type, w, offset, dst, dstOffset, n);
                }
            }
            case Q6_K -> {
                if (VECTORIZED) {
                    for (int b = 0; b < n / 256; b++) {
                        q6K(w, offset + 210L * b, dst, dstOffset + 256 * b);
                    }
                } else {
                    Dequantize.row(type, w, offset, dst, dstOffset, n);
                }
            }
            case F16, BF16, Q4_1, Q5_K -> Dequantize.row(type, w, offset, dst, dstOffset, n);
        }
    }

    // block_q4_K: f16 d, f16 dmin, scales[12], qs[128]; 8 sub-blocks of 32 (Dequantize.q4_K).
    private static void q4K(MemorySegment w, long x, float[] y, int o) {
        if (L != 16) {
            q4KScalarScales(w, x, y, o);
            return;
        }
        float d = Dequantize.f16(w, x);
        float min = Dequantize.f16(w, x + 2);
        // All eight scales and mins at once on int lanes (as KQuantMatVec), then d * scale and
        // min * m in one multiply: the same single rounding as the scalar d * scaleK4(...), so the
        // same bits, without sixteen bounds-checked byte reads per super-block (~10% of a K-quant
        // prefill's samples).
        IntVector p = (IntVector)
                ByteVector.fromMemorySegment(B, w, x + 4, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        IntVector sm = p.rearrange(KQuantMatVec.SCALE_A)
                .lanewise(VectorOperators.LSHR, KQuantMatVec.SCALE_SHIFT)
                .and(KQuantMatVec.SCALE_MASK)
                .or(p.rearrange(KQuantMatVec.SCALE_H)
                        .lanewise(VectorOperators.LSHR, 6)
                        .lanewise(VectorOperators.LSHL, 4)
                        .and(KQuantMatVec.SCALE_HIGH));
        FloatVector dm = ((FloatVector) sm.convert(VectorOperators.I2F, 0))
                .mul(FloatVector.broadcast(F, d).blend(min, KQuantMatVec.MINS));
        long q = x + 16;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
            FloatVector d1 = FloatVector.broadcast(F, dm.lane(is));
            FloatVector m1 = FloatVector.broadcast(F, dm.lane(8 + is));
            FloatVector d2 = FloatVector.broadcast(F, dm.lane(is + 1));
            FloatVector m2 = FloatVector.broadcast(F, dm.lane(9 + is));
            for (int l = 0; l < 32; l += L) {
                IntVector qv = (IntVector) ByteVector.fromMemorySegment(B, w, q + l, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = (FloatVector) qv.and(0xF).convert(VectorOperators.I2F, 0);
                FloatVector hi =
                        (FloatVector) qv.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
                lo.mul(d1).sub(m1).intoArray(y, o + j + l);
                hi.mul(d2).sub(m2).intoArray(y, o + j + 32 + l);
            }
        }
    }

    /** {@link #q4K} for 8-lane vectors, with ggml's scalar scale decoding. */
    private static void q4KScalarScales(MemorySegment w, long x, float[] y, int o) {
        float d = Dequantize.f16(w, x);
        float min = Dequantize.f16(w, x + 2);
        long q = x + 16;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
            FloatVector d1 = FloatVector.broadcast(F, d * Dequantize.scaleK4(w, x + 4, is));
            FloatVector m1 = FloatVector.broadcast(F, min * Dequantize.minK4(w, x + 4, is));
            FloatVector d2 = FloatVector.broadcast(F, d * Dequantize.scaleK4(w, x + 4, is + 1));
            FloatVector m2 = FloatVector.broadcast(F, min * Dequantize.minK4(w, x + 4, is + 1));
            for (int l = 0; l < 32; l += L) {
                IntVector qv = (IntVector) ByteVector.fromMemorySegment(B, w, q + l, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = (FloatVector) qv.and(0xF).convert(VectorOperators.I2F, 0);
                FloatVector hi =
                        (FloatVector) qv.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
                lo.mul(d1).sub(m1).intoArray(y, o + j + l);
                hi.mul(d2).sub(m2).intoArray(y, o + j + 32 + l);
            }
        }
    }

    // block_q6_K: ql[128], qh[64], int8 scales[16], f16 d; 16 sub-blocks of 16 (Dequantize.q6_K).
    private static void q6K(MemorySegment w, long x, float[] y, int o) {
        float d = Dequantize.f16(w, x + 208);
        long ql = x;
        long qh = x + 128;
        long sc = x + 192;
        for (int n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l += L) {
                int is = l / 16;
                IntVector lo = (IntVector) ByteVector.fromMemorySegment(B, w, ql + l, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector hiq = (IntVector) ByteVector.fromMemorySegment(B, w, ql + l + 32, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector h = (IntVector) ByteVector.fromMemorySegment(B, w, qh + l, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector q1 = lo.and(0xF).or(h.and(3).lanewise(VectorOperators.LSHL, 4));
                IntVector q2 = hiq.and(0xF)
                        .or(h.lanewise(VectorOperators.LSHR, 2).and(3).lanewise(VectorOperators.LSHL, 4));
                IntVector q3 = lo.lanewise(VectorOperators.LSHR, 4)
                        .or(h.lanewise(VectorOperators.LSHR, 4).and(3).lanewise(VectorOperators.LSHL, 4));
                IntVector q4 = hiq.lanewise(VectorOperators.LSHR, 4)
                        .or(h.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4));
                // (q - 32) * (d * sc): d * sc rounded first, as the scalar d * sc * q.
                ((FloatVector) q1.sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * Dequantize.i8(w, sc + is))
                        .intoArray(y, o + n + l);
                ((FloatVector) q2.sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * Dequantize.i8(w, sc + is + 2))
                        .intoArray(y, o + n + l + 32);
                ((FloatVector) q3.sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * Dequantize.i8(w, sc + is + 4))
                        .intoArray(y, o + n + l + 64);
                ((FloatVector) q4.sub(32).convert(VectorOperators.I2F, 0))
                        .mul(d * Dequantize.i8(w, sc + is + 6))
                        .intoArray(y, o + n + l + 96);
            }
        }
    }
}
