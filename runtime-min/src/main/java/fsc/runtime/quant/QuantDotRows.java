package fsc.runtime.quant;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Dot products of one packed weight row with several activation rows at once: the decode step of
 * a batch of sequences. Each block is unpacked once, in registers, for four activation rows, so a
 * step of B sequences costs B/4 unpacking passes plus B FMA streams instead of B unpacking passes:
 * unpacking, not multiplying, is what a single-row dot ({@link QuantDot}) spends its time on.
 * (Unpacking a row once into an L1 buffer for all tiles was no faster on one core and slower on two
 * SMT threads, which then each hold a copy.)
 *
 * <p>Per activation row the operations are exactly those of {@link QuantDot}'s kernel, in the same
 * order, so every result is bit-identical to the single-row dot: a sequence's tokens do not depend
 * on which other sequences share its step.
 */
public final class QuantDotRows {
    private static final int TILE = 4;

    private QuantDotRows() {}

    /** Whether {@link #dots} has a kernel for {@code type} on this machine. */
    public static boolean supports(GgmlType type) {
        return QuantDot.VECTORIZED
                && switch (type) {
                    case Q4_0, Q8_0, F32, F16, BF16 -> true;
                    default -> false;
                };
    }

    /** The length {@link #dots} needs of its {@code out} array for {@code rows} rows. */
    public static int outLength(int rows) {
        return (rows + TILE - 1) / TILE * TILE;
    }

    /**
     * {@code out[t] = dot(w row at wOffset, x row t)} for {@code rows} activation rows of {@code n}
     * little-endian floats, row {@code t} at byte {@code xOffset + t * xRowBytes}. {@code out} holds
     * {@link #outLength}{@code (rows)} floats; those past {@code rows} are scratch.
     */
    public static void dots(
            GgmlType type,
            MemorySegment w,
            long wOffset,
            MemorySegment x,
            long xOffset,
            long xRowBytes,
            int rows,
            int n,
            float[] out) {
        if (!supports(type)) {
            throw new IllegalArgumentException("no multi-row kernel for " + type);
        }
        MemorySegment ws = w.asSlice(wOffset, type.bytesFor(n));
        long last = xOffset + (rows - 1) * xRowBytes;
        // One or two rows past the last full tile cost less as single-row dots (bit-identical by
        // construction) than as a tile computing rows it drops; three go in a padded tile.
        int tiled = rows % TILE == 3 ? rows : rows / TILE * TILE;
        for (int t0 = 0; t0 < tiled; t0 += TILE) {
            long a = xOffset + t0 * xRowBytes;
            long b = Math.min(a + xRowBytes, last);
            long c = Math.min(a + 2 * xRowBytes, last);
            long d = Math.min(a + 3 * xRowBytes, last);
            switch (type) {
                case Q4_0 -> blocksX4(ws, x, a, b, c, d, n, out, t0, true);
                case Q8_0 -> blocksX4(ws, x, a, b, c, d, n, out, t0, false);
                default -> plainX4(ws, x, a, b, c, d, n, out, t0, type);
            }
        }
        for (int t = tiled; t < rows; t++) {
            out[t] = QuantDot.dot(type, w, wOffset, x, xOffset + t * xRowBytes, n);
        }
    }

    /**
     * Dequantizes the row of {@code n} weights at {@code wOffset} into {@code dst[dstOffset..)}, for
     * prefill's SGEMM: vectorised for Q4_0 and Q8_0 (the same products as {@link Dequantize#row}),
     * the reference code for every other type.
     */
    public static void dequantize(GgmlType type, MemorySegment w, long wOffset, int n, float[] dst, int dstOffset) {
        boolean nibbles = type == GgmlType.Q4_0;
        if (!QuantDot.VECTORIZED || !(nibbles || type == GgmlType.Q8_0)) {
            Dequantize.row(type, w, wOffset, dst, dstOffset, n);
            return;
        }
        var F = QuantDot.F;
        long at = wOffset;
        for (int e = dstOffset; e < dstOffset + n; e += 32, at += nibbles ? 18 : 34) {
            FloatVector d = FloatVector.broadcast(F, HalfFloats.at(w, at));
            for (int i = 0; i < 16; i += QuantDot.L) {
                FloatVector lo;
                FloatVector hi;
                if (nibbles) {
                    // Quants 0..15 are the low nibbles, 16..31 the high ones, offset by 8 (block_q4_0).
                    ByteVector q = ByteVector.fromMemorySegment(QuantDot.B, w, at + 2 + i, QuantDot.LE);
                    lo = (FloatVector) (q.and((byte) 0x0F).sub((byte) 8)).convertShape(VectorOperators.B2F, F, 0);
                    hi = (FloatVector)
                            (q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8)).convertShape(VectorOperators.B2F, F, 0);
                } else {
                    lo = (FloatVector) ByteVector.fromMemorySegment(QuantDot.B, w, at + 2 + i, QuantDot.LE)
                            .convertShape(VectorOperators.B2F, F, 0);
                    hi = (FloatVector) ByteVector.fromMemorySegment(QuantDot.B, w, at + 18 + i, QuantDot.LE)
                            .convertShape(VectorOperators.B2F, F, 0);
                }
                lo.mul(d).intoArray(dst, e + i);
                hi.mul(d).intoArray(dst, e + 16 + i);
            }
        }
    }

    /**
     * Four rows against one packed Q4_0 ({@code nibbles}) or Q8_0 row. Within a block the order is
     * that of QuantDot's kernels: lanes {@code i} then {@code i + 16}, for {@code i} in steps of the
     * vector length, then one FMA by the block scale. {@code nibbles} is the same for the whole
     * call, so C2 unswitches the loop on it.
     */
    private static void blocksX4(
            MemorySegment w,
            MemorySegment x,
            long x0,
            long x1,
            long x2,
            long x3,
            int n,
            float[] out,
            int o,
            boolean nibbles) {
        var F = QuantDot.F;
        long blockBytes = nibbles ? 18 : 34;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        long at = 0;
        for (int blk = 0; blk < n / 32; blk++, at += blockBytes, x0 += 128, x1 += 128, x2 += 128, x3 += 128) {
            FloatVector d = FloatVector.broadcast(F, HalfFloats.at(w, at));
            FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
            FloatVector b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
            for (int i = 0; i < 16; i += QuantDot.L) {
                FloatVector lo;
                FloatVector hi;
                if (nibbles) {
                    ByteVector q = ByteVector.fromMemorySegment(QuantDot.B, w, at + 2 + i, QuantDot.LE);
                    lo = (FloatVector) (q.and((byte) 0x0F).sub((byte) 8)).convertShape(VectorOperators.B2F, F, 0);
                    hi = (FloatVector)
                            (q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8)).convertShape(VectorOperators.B2F, F, 0);
                } else {
                    lo = (FloatVector) ByteVector.fromMemorySegment(QuantDot.B, w, at + 2 + i, QuantDot.LE)
                            .convertShape(VectorOperators.B2F, F, 0);
                    hi = (FloatVector) ByteVector.fromMemorySegment(QuantDot.B, w, at + 18 + i, QuantDot.LE)
                            .convertShape(VectorOperators.B2F, F, 0);
                }
                long lo4 = 4L * i;
                long hi4 = 4L * (16 + i);
                b0 = lo.fma(FloatVector.fromMemorySegment(F, x, x0 + lo4, QuantDot.LE), b0);
                b0 = hi.fma(FloatVector.fromMemorySegment(F, x, x0 + hi4, QuantDot.LE), b0);
                b1 = lo.fma(FloatVector.fromMemorySegment(F, x, x1 + lo4, QuantDot.LE), b1);
                b1 = hi.fma(FloatVector.fromMemorySegment(F, x, x1 + hi4, QuantDot.LE), b1);
                b2 = lo.fma(FloatVector.fromMemorySegment(F, x, x2 + lo4, QuantDot.LE), b2);
                b2 = hi.fma(FloatVector.fromMemorySegment(F, x, x2 + hi4, QuantDot.LE), b2);
                b3 = lo.fma(FloatVector.fromMemorySegment(F, x, x3 + lo4, QuantDot.LE), b3);
                b3 = hi.fma(FloatVector.fromMemorySegment(F, x, x3 + hi4, QuantDot.LE), b3);
            }
            acc0 = b0.fma(d, acc0);
            acc1 = b1.fma(d, acc1);
            acc2 = b2.fma(d, acc2);
            acc3 = b3.fma(d, acc3);
        }
        // Lanes' tree, inline, for the four rows: no vector crosses a call.
        for (int h = QuantDot.L / 2; h > 0; h /= 2) {
            acc0 = acc0.add(acc0.rearrange(QuantDot.ROTATE[h]));
            acc1 = acc1.add(acc1.rearrange(QuantDot.ROTATE[h]));
            acc2 = acc2.add(acc2.rearrange(QuantDot.ROTATE[h]));
            acc3 = acc3.add(acc3.rearrange(QuantDot.ROTATE[h]));
        }
        out[o] = acc0.lane(0);
        out[o + 1] = acc1.lane(0);
        out[o + 2] = acc2.lane(0);
        out[o + 3] = acc3.lane(0);
    }

    /**
     * Four rows against one F32, F16 or BF16 row ({@code type} is the same for the whole call, so C2
     * unswitches on it): the order of QuantDot's f32 and f16 kernels, one accumulator over the vector
     * part, a scalar tail. Halves widen as QuantDot's f16 kernel widens them (see there).
     */
    private static void plainX4(
            MemorySegment w,
            MemorySegment x,
            long x0,
            long x1,
            long x2,
            long x3,
            int n,
            float[] out,
            int o,
            GgmlType type) {
        var F = QuantDot.F;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        int i = 0;
        for (; i < F.loopBound(n); i += QuantDot.L) {
            FloatVector wv;
            if (type == GgmlType.F32) {
                wv = FloatVector.fromMemorySegment(F, w, 4L * i, QuantDot.LE);
            } else {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(QuantDot.S, w, 2L * i, QuantDot.LE)
                        .convertShape(VectorOperators.S2I, QuantDot.I, 0);
                if (type == GgmlType.BF16) {
                    wv = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                } else {
                    FloatVector magnitude = h.and(0x7fff)
                            .lanewise(VectorOperators.LSHL, 13)
                            .reinterpretAsFloats()
                            .mul(0x1p112f);
                    VectorMask<Integer> infOrNan =
                            magnitude.compare(VectorOperators.GE, 65536f).cast(QuantDot.I);
                    IntVector bits = magnitude.reinterpretAsInts();
                    bits = bits.blend(bits.or(255 << 23), infOrNan);
                    wv = bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                            .reinterpretAsFloats();
                }
            }
            acc0 = wv.fma(FloatVector.fromMemorySegment(F, x, x0 + 4L * i, QuantDot.LE), acc0);
            acc1 = wv.fma(FloatVector.fromMemorySegment(F, x, x1 + 4L * i, QuantDot.LE), acc1);
            acc2 = wv.fma(FloatVector.fromMemorySegment(F, x, x2 + 4L * i, QuantDot.LE), acc2);
            acc3 = wv.fma(FloatVector.fromMemorySegment(F, x, x3 + 4L * i, QuantDot.LE), acc3);
        }
        // Lanes' tree, inline, for the four rows: no vector crosses a call.
        for (int h = QuantDot.L / 2; h > 0; h /= 2) {
            acc0 = acc0.add(acc0.rearrange(QuantDot.ROTATE[h]));
            acc1 = acc1.add(acc1.rearrange(QuantDot.ROTATE[h]));
            acc2 = acc2.add(acc2.rearrange(QuantDot.ROTATE[h]));
            acc3 = acc3.add(acc3.rearrange(QuantDot.ROTATE[h]));
        }
        out[o] = acc0.lane(0);
        out[o + 1] = acc1.lane(0);
        out[o + 2] = acc2.lane(0);
        out[o + 3] = acc3.lane(0);
        for (; i < n; i++) {
            float wi =
                    switch (type) {
                        case F32 -> w.get(Dequantize.F32, 4L * i);
                        case BF16 -> Dequantize.bf16(w, 2L * i);
                        default -> Dequantize.f16(w, 2L * i);
                    };
            out[o] += wi * x.get(Dequantize.F32, x0 + 4L * i);
            out[o + 1] += wi * x.get(Dequantize.F32, x1 + 4L * i);
            out[o + 2] += wi * x.get(Dequantize.F32, x2 + 4L * i);
            out[o + 3] += wi * x.get(Dequantize.F32, x3 + 4L * i);
        }
    }
}
