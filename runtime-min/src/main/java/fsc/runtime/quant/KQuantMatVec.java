package fsc.runtime.quant;

import static fsc.runtime.quant.QuantDot.B;
import static fsc.runtime.quant.QuantDot.F;
import static fsc.runtime.quant.QuantDot.I;
import static fsc.runtime.quant.QuantDot.L;
import static fsc.runtime.quant.QuantDot.LE;

import fsc.runtime.kernels.Lanes;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * The decode matvec for Q4_K and Q6_K rows (a Q4_K_M file holds both) times an f32 activation, a
 * range of rows per call, in the shape of {@link QuantMatVec}'s Q4_0 kernel. What the earlier
 * per-row {@link KQuantDot} path paid for, and this one does not:
 *
 * <ul>
 *   <li>nibbles split with byte-lane shifts, which x86 does not have (C2 widens, shifts and
 *       narrows back): here the packed bytes are widened to int lanes once ({@code
 *       ZERO_EXTEND_B2I}) and split there (a Q4_K high nibble needs only the shift), then
 *       converted;
 *   <li>the affine minimum term, {@code dmin * m_j * sum(x over sub-block j)}, computed with two
 *       vector adds per 16 weights in every row: the 32-value sums of the activation do not depend
 *       on the row, so {@link #prepare} takes them once per call and the term is one FMA per
 *       super-block;
 *   <li>the 6-bit scales and mins decoded one at a time through {@code get_scale_min_k4}: here all
 *       sixteen are unpacked on int lanes at once, converted and scaled in one vector, and each
 *       reaches its FMA as a broadcast load from the scratch (a load port, not the shuffle port:
 *       1.15-1.24x the lane-shuffle broadcast, docs/PERFORMANCE-LLM.md);
 *   <li>a slice, a type switch and a kernel entry per row.
 * </ul>
 *
 * Per super-block the sums are {@code Σ_j d·sc_j · Σ_i q_i x_i − dmin · Σ_j m_j · Σx_j} (Q4_K) and
 * {@code Σ_r d·sc_r · Σ_i (q_i − 32) x_i} (Q6_K, runs of 16), accumulated in f32 lanes and summed
 * in {@link Lanes#sum}'s order (written inline: see {@link QuantDot#ROTATE}): the same bits in every JIT tier. {@link Dequantize#dot} (ggml's
 * dequantization, then a dot product) is the reference. Runs where vectors have 16 float lanes
 * (AVX-512); elsewhere {@link KQuantDot} keeps the row-by-row path.
 */
final class KQuantMatVec {
    private KQuantMatVec() {}

    /** Whether {@code type} has a kernel here on this machine. */
    static boolean supports(GgmlType type) {
        return L == 16 && (type == GgmlType.Q4_K || type == GgmlType.Q6_K);
    }

    /** The 16 floats 0..15 as int bits: a Q4_K nibble's value, looked up (see {@link QuantMatVec}). */
    static final IntVector NIBBLES = IntVector.fromArray(I, nibbleFloats(), 0);

    private static int[] nibbleFloats() {
        int[] t = new int[I.length()];
        for (int q = 0; q < t.length; q++) {
            t[q] = Float.floatToRawIntBits(q);
        }
        return t;
    }

    /**
     * This thread's scratch for an activation of {@code k} values: per super-block 16 floats, eight
     * zeros and the sums of the activation over its eight sub-blocks of 32 (Q4_K's min term), which
     * {@link #prepare} fills, then 16 floats where the Q4_K kernel keeps the current super-block's
     * scales. Q6_K instead uses its first 16 floats for a super-block's scales.
     */
    static float[] scratch(int k) {
        float[] s = SCRATCH.get();
        if (s.length < k / 16 + 16) {
            s = new float[k / 16 + 16];
            SCRATCH.set(s);
        }
        return s;
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Fills {@code scratch} for the activation of {@code k} floats at byte 0 of {@code x}: the sum
     * of sub-block {@code 8b + s} goes to float {@code 16b + 8 + s}, each as two 16-lane
     * adds and a fixed-order lane sum. The sums do not depend on the weight row, so a matvec takes
     * them once and the min term costs one FMA per super-block and row.
     */
    static void prepare(GgmlType type, MemorySegment x, int k, float[] scratch) {
        if (type != GgmlType.Q4_K) {
            return;
        }
        for (int b = 0; b < k / 256; b++) {
            int at = 16 * b;
            java.util.Arrays.fill(scratch, at, at + 8, 0f);
            for (int s = 0; s < 8; s++) {
                long xo = 1024L * b + 128L * s;
                FloatVector v = FloatVector.fromMemorySegment(F, x, xo, LE)
                        .add(FloatVector.fromMemorySegment(F, x, xo + 64, LE));
                for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
                    v = v.add(v.rearrange(QuantDot.ROTATE[h]));
                }
                scratch[at + 8 + s] = v.lane(0);
            }
        }
    }

    /**
     * Rows {@code from..to} of a {@code type} matrix with rows of {@code k} values ({@code rowBytes}
     * apart from byte 0 of {@code w}) times the {@code k} floats at byte 0 of {@code x}; row
     * {@code j}'s result at byte {@code yOffset + 4j} of {@code y}. {@code scratch} is {@link
     * #scratch} after {@link #prepare} for {@code x}. The caller has checked every bound.
     */
    static void rows(
            GgmlType type,
            MemorySegment w,
            long rowBytes,
            MemorySegment x,
            float[] scratch,
            int k,
            MemorySegment y,
            long yOffset,
            int from,
            int to) {
        if (type == GgmlType.Q4_K) {
            for (int j = from; j < to; j++) {
                y.set(Dequantize.F32, yOffset + 4L * j, q4_K(w, j * rowBytes, x, scratch, k));
            }
        } else {
            for (int j = from; j < to; j++) {
                y.set(Dequantize.F32, yOffset + 4L * j, q6_K(w, j * rowBytes, x, scratch, k));
            }
        }
    }

    /** One row at byte {@code at} of {@code w}: the value {@link #rows} stores for it. */
    static float row(GgmlType type, MemorySegment w, long at, MemorySegment x, float[] scratch, int k) {
        return type == GgmlType.Q4_K ? q4_K(w, at, x, scratch, k) : q6_K(w, at, x, scratch, k);
    }

    /*
     * Q4_K's eight 6-bit scales and eight mins (ggml's get_scale_min_k4) on int lanes, from the 12
     * bytes widened to lanes 0..11: lane s < 8 gets scale s, lane 8 + s min s, as
     * ((p[A] >>> SHIFT) & MASK) | (((p[H] >>> 6) << 4) & HIGH).
     */
    static final VectorShuffle<Integer> SCALE_A = shuffle(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11);
    static final VectorShuffle<Integer> SCALE_H = shuffle(0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7);
    static final IntVector SCALE_SHIFT = ints(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4);
    static final IntVector SCALE_MASK = ints(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15);
    static final IntVector SCALE_HIGH = ints(0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48);
    /** Lanes 8..15: the mins, which take {@code -dmin} where the scales take {@code d}. */
    static final VectorMask<Float> MINS = VectorMask.fromLong(F, 0xFF00L);

    /**
     * The 16-lane shuffle, or the identity where vectors have fewer lanes: the class is loaded there
     * too ({@link #supports} answers false), and a 16-value shuffle of an 8- or 4-lane species
     * would fail its initialisation (found at {@code -XX:MaxVectorSize=16} and {@code =32}).
     */
    static VectorShuffle<Integer> shuffle(int... v) {
        return v.length == I.length() ? VectorShuffle.fromValues(I, v) : VectorShuffle.iota(I, 0, 1, true);
    }

    static IntVector ints(int... v) {
        return v.length == I.length() ? IntVector.fromArray(I, v, 0) : IntVector.zero(I);
    }

    // block_q4_K (144 bytes): f16 d, f16 dmin, scales[12] (8 six-bit scales and mins), qs[128]; 32 bytes
    // of qs hold sub-block 2j in their low nibbles and 2j+1 in their high nibbles.
    private static float q4_K(MemorySegment w, long row, MemorySegment x, float[] scratch, int k) {
        int blocks = k / 256;
        int sc = k / 16; // this super-block's d * scale_s (lanes 0..7 of dsm), broadcast by loads
        // Two chains (low- and high-nibble sub-blocks), so consecutive FMAs do not wait on each other.
        FloatVector accLo = FloatVector.zero(F);
        FloatVector accHi = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long at = row + 144L * b;
            float d = Float.float16ToFloat(w.get(Dequantize.I16, at));
            float dmin = Float.float16ToFloat(w.get(Dequantize.I16, at + 2));
            IntVector p = (IntVector) ByteVector.fromMemorySegment(B, w, at + 4, LE)
                    .convertShape(
                            VectorOperators.ZERO_EXTEND_B2I, I, 0); // the 12 scale bytes, then 4 quant bytes (unused)
            IntVector sm = p.rearrange(SCALE_A)
                    .lanewise(VectorOperators.LSHR, SCALE_SHIFT)
                    .and(SCALE_MASK)
                    .or(p.rearrange(SCALE_H)
                            .lanewise(VectorOperators.LSHR, 6)
                            .lanewise(VectorOperators.LSHL, 4)
                            .and(SCALE_HIGH));
            // d * scale_s in lanes 0..7, -dmin * min_s in lanes 8..15.
            FloatVector dsm = ((FloatVector) sm.convert(VectorOperators.I2F, 0))
                    .mul(FloatVector.broadcast(F, d).blend(-dmin, MINS));
            // The min term: lanes 8..15 times the activation's sub-block sums (lanes 0..7 times zero).
            accLo = dsm.fma(FloatVector.fromArray(F, scratch, 16 * b), accLo);
            dsm.intoArray(scratch, sc);
            for (int g = 0; g < 4; g++) {
                long q = at + 16 + 32L * g;
                long xo = 1024L * b + 256L * g;
                IntVector q0 = (IntVector)
                        ByteVector.fromMemorySegment(B, w, q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, w, q + 16, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                // A nibble becomes its float by and/shift and a convert: the high nibble needs no
                // mask, and the convert runs on the port the lane shuffles leave free.
                FloatVector lo = ((FloatVector) q0.and(0x0F).convert(VectorOperators.I2F, 0))
                        .mul(FloatVector.fromMemorySegment(F, x, xo, LE));
                lo = ((FloatVector) q1.and(0x0F).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromMemorySegment(F, x, xo + 64, LE), lo);
                FloatVector hi = ((FloatVector)
                                q0.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                        .mul(FloatVector.fromMemorySegment(F, x, xo + 128, LE));
                hi = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromMemorySegment(F, x, xo + 192, LE), hi);
                accLo = lo.fma(FloatVector.broadcast(F, scratch[sc + 2 * g]), accLo);
                accHi = hi.fma(FloatVector.broadcast(F, scratch[sc + 2 * g + 1]), accHi);
            }
        }
        FloatVector sum = accLo.add(accHi);
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            sum = sum.add(sum.rearrange(QuantDot.ROTATE[h]));
        }
        return sum.lane(0);
    }

    // block_q6_K (210 bytes): ql[128] (low four bits), qh[64] (high two bits), scales[16] (int8, one per
    // run of 16 values), f16 d. Each half of 128 values takes 64 bytes of ql and 32 of qh: value l + 32i
    // (i = 0..3) has low bits from ql[l] (i = 0, 2: low/high nibble) or ql[l + 32] (i = 1, 3) and high
    // bits 2i..2i+1 of qh[l].
    private static float q6_K(MemorySegment w, long row, MemorySegment x, float[] scratch, int k) {
        int blocks = k / 256;
        // One chain per quarter of a half (v1..v4 below): four independent FMA chains.
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        FloatVector acc4 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long at = row + 210L * b;
            float d = Float.float16ToFloat(w.get(Dequantize.I16, at + 208));
            // d * scale_r for the 16 runs, through memory: each is broadcast by a load, which
            // measured faster here than a shuffle per run (the shuffle port is busy widening).
            ((FloatVector) ByteVector.fromMemorySegment(B, w, at + 192, LE)
                            .convertShape(VectorOperators.B2I, I, 0)
                            .convert(VectorOperators.I2F, 0))
                    .mul(d)
                    .intoArray(scratch, 0);
            for (int half = 0; half < 2; half++) {
                long ql = at + 64L * half;
                long qh = at + 128 + 32L * half;
                int sc = 8 * half;
                long xo = 1024L * b + 512L * half;
                for (int l = 0; l < 2; l++) { // runs of 16: scale byte l + 2i serves value l*16 + 32i
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B, w, ql + 16 * l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector c = (IntVector) ByteVector.fromMemorySegment(B, w, ql + 32 + 16 * l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B, w, qh + 16 * l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    FloatVector v1 = (FloatVector) a.and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHL, 4).and(0x30))
                            .sub(32)
                            .convert(VectorOperators.I2F, 0);
                    FloatVector v2 = (FloatVector) c.and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHL, 2).and(0x30))
                            .sub(32)
                            .convert(VectorOperators.I2F, 0);
                    FloatVector v3 = (FloatVector) a.lanewise(VectorOperators.LSHR, 4)
                            .or(h.and(0x30))
                            .sub(32)
                            .convert(VectorOperators.I2F, 0);
                    FloatVector v4 = (FloatVector) c.lanewise(VectorOperators.LSHR, 4)
                            .or(h.lanewise(VectorOperators.LSHR, 2).and(0x30))
                            .sub(32)
                            .convert(VectorOperators.I2F, 0);
                    long xl = xo + 64L * l;
                    acc1 = v1.mul(FloatVector.fromMemorySegment(F, x, xl, LE))
                            .fma(FloatVector.broadcast(F, scratch[sc + l]), acc1);
                    acc2 = v2.mul(FloatVector.fromMemorySegment(F, x, xl + 128, LE))
                            .fma(FloatVector.broadcast(F, scratch[sc + l + 2]), acc2);
                    acc3 = v3.mul(FloatVector.fromMemorySegment(F, x, xl + 256, LE))
                            .fma(FloatVector.broadcast(F, scratch[sc + l + 4]), acc3);
                    acc4 = v4.mul(FloatVector.fromMemorySegment(F, x, xl + 384, LE))
                            .fma(FloatVector.broadcast(F, scratch[sc + l + 6]), acc4);
                }
            }
        }
        FloatVector sum = acc1.add(acc2).add(acc3.add(acc4));
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            sum = sum.add(sum.rearrange(QuantDot.ROTATE[h]));
        }
        return sum.lane(0);
    }
}
