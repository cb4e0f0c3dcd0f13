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
 * SMT threads, which then each hold a copy; see docs/SERVING.md.)
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

    /** Per-thread scratch, reused row after row: the results of one row, and an unpacked row for {@link #dequantize}. */
    public static final class Scratch {
        final float[] quants;
        final float[] scales;
        final float[] out;

        /** For rows of {@code n} weights and up to {@code rows} activation rows. */
        public Scratch(int n, int rows) {
            quants = new float[n];
            scales = new float[n / 32];
            out = new float[(rows + TILE - 1) / TILE * TILE];
        }
    }

    /**
     * Returns {@code s.out} with {@code out[t] = dot(w row at wOffset, x row t)} for {@code rows}
     * activation rows of {@code n} little-endian floats, row {@code t} at byte {@code xOffset + t *
     * xRowBytes}. Entries past {@code rows} are scratch.
     */
    public static float[] dots(
            GgmlType type,
            MemorySegment w,
            long wOffset,
            MemorySegment x,
            long xOffset,
            long xRowBytes,
            int rows,
            int n,
            Scratch s) {
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
                case Q4_0 -> blocksX4(ws, x, a, b, c, d, n, s.out, t0, true);
                case Q8_0 -> blocksX4(ws, x, a, b, c, d, n, s.out, t0, false);
                case F32 -> f32x4(ws, x, a, b, c, d, n, s.out, t0);
                case F16 -> f16x4(ws, x, a, b, c, d, n, s.out, t0, false);
                case BF16 -> f16x4(ws, x, a, b, c, d, n, s.out, t0, true);
                default -> throw new IllegalStateException(type.name());
            }
        }
        for (int t = tiled; t < rows; t++) {
            s.out[t] = QuantDot.dot(type, w, wOffset, x, xOffset + t * xRowBytes, n);
        }
        return s.out;
    }

    /**
     * Dequantizes the row of {@code n} weights at {@code wOffset} into {@code dst[dstOffset..)}: the
     * vector form of {@link Dequantize#row} for the types {@link #supports} covers, for prefill's
     * SGEMM. Uses {@code s} as scratch.
     */
    public static void dequantize(
            GgmlType type, MemorySegment w, long wOffset, int n, Scratch s, float[] dst, int dstOffset) {
        if (!supports(type)) {
            throw new IllegalArgumentException("no vector dequantizer for " + type);
        }
        if (type == GgmlType.Q4_0) {
            unpackQ4_0(w, wOffset, n, s.quants, s.scales);
        } else if (type == GgmlType.Q8_0) {
            unpackQ8_0(w, wOffset, n, s.quants, s.scales);
        } else {
            Dequantize.row(type, w, wOffset, dst, dstOffset, n);
            return;
        }
        var F = QuantDot.F;
        for (int blk = 0, e = 0; blk < n / 32; blk++, e += 32) {
            FloatVector d = FloatVector.broadcast(F, s.scales[blk]);
            for (int i = 0; i < 32; i += QuantDot.L) {
                FloatVector.fromArray(F, s.quants, e + i).mul(d).intoArray(dst, dstOffset + e + i);
            }
        }
    }

    /** Quants 0..15 are the low nibbles, 16..31 the high ones, each offset by 8 (ggml's block_q4_0). */
    private static void unpackQ4_0(MemorySegment w, long at, int n, float[] quants, float[] scales) {
        var F = QuantDot.F;
        for (int blk = 0, o = 0; blk < n / 32; blk++, at += 18, o += 32) {
            scales[blk] = Dequantize.f16(w, at);
            for (int i = 0; i < 16; i += QuantDot.L) {
                ByteVector q = ByteVector.fromMemorySegment(QuantDot.B, w, at + 2 + i, QuantDot.LE);
                ((FloatVector) (q.and((byte) 0x0F).sub((byte) 8)).convertShape(VectorOperators.B2F, F, 0))
                        .intoArray(quants, o + i);
                ((FloatVector) (q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8))
                                .convertShape(VectorOperators.B2F, F, 0))
                        .intoArray(quants, o + 16 + i);
            }
        }
    }

    private static void unpackQ8_0(MemorySegment w, long at, int n, float[] quants, float[] scales) {
        var F = QuantDot.F;
        for (int blk = 0, o = 0; blk < n / 32; blk++, at += 34, o += 32) {
            scales[blk] = Dequantize.f16(w, at);
            for (int i = 0; i < 32; i += QuantDot.L) {
                ((FloatVector) ByteVector.fromMemorySegment(QuantDot.B, w, at + 2 + i, QuantDot.LE)
                                .convertShape(VectorOperators.B2F, F, 0))
                        .intoArray(quants, o + i);
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
            FloatVector d = FloatVector.broadcast(F, Dequantize.f16(w, at));
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
        out[o] = acc0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = acc1.reduceLanes(VectorOperators.ADD);
        out[o + 2] = acc2.reduceLanes(VectorOperators.ADD);
        out[o + 3] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /** Plain rows: the order of QuantDot's f32 kernel, one accumulator over the vector part, a scalar tail. */
    private static void f32x4(
            MemorySegment w, MemorySegment x, long x0, long x1, long x2, long x3, int n, float[] out, int o) {
        var F = QuantDot.F;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        int i = 0;
        for (; i < F.loopBound(n); i += QuantDot.L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, 4L * i, QuantDot.LE);
            acc0 = wv.fma(FloatVector.fromMemorySegment(F, x, x0 + 4L * i, QuantDot.LE), acc0);
            acc1 = wv.fma(FloatVector.fromMemorySegment(F, x, x1 + 4L * i, QuantDot.LE), acc1);
            acc2 = wv.fma(FloatVector.fromMemorySegment(F, x, x2 + 4L * i, QuantDot.LE), acc2);
            acc3 = wv.fma(FloatVector.fromMemorySegment(F, x, x3 + 4L * i, QuantDot.LE), acc3);
        }
        out[o] = acc0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = acc1.reduceLanes(VectorOperators.ADD);
        out[o + 2] = acc2.reduceLanes(VectorOperators.ADD);
        out[o + 3] = acc3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float wi = w.get(Dequantize.F32, 4L * i);
            out[o] += wi * x.get(Dequantize.F32, x0 + 4L * i);
            out[o + 1] += wi * x.get(Dequantize.F32, x1 + 4L * i);
            out[o + 2] += wi * x.get(Dequantize.F32, x2 + 4L * i);
            out[o + 3] += wi * x.get(Dequantize.F32, x3 + 4L * i);
        }
    }

    /** F16 and BF16 rows, widened as QuantDot's f16 kernel widens them (see there). */
    private static void f16x4(
            MemorySegment w,
            MemorySegment x,
            long x0,
            long x1,
            long x2,
            long x3,
            int n,
            float[] out,
            int o,
            boolean brain) {
        var F = QuantDot.F;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        int i = 0;
        for (; i < F.loopBound(n); i += QuantDot.L) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(QuantDot.S, w, 2L * i, QuantDot.LE)
                    .convertShape(VectorOperators.S2I, QuantDot.I, 0);
            FloatVector wv;
            if (brain) {
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
                wv = bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            }
            acc0 = wv.fma(FloatVector.fromMemorySegment(F, x, x0 + 4L * i, QuantDot.LE), acc0);
            acc1 = wv.fma(FloatVector.fromMemorySegment(F, x, x1 + 4L * i, QuantDot.LE), acc1);
            acc2 = wv.fma(FloatVector.fromMemorySegment(F, x, x2 + 4L * i, QuantDot.LE), acc2);
            acc3 = wv.fma(FloatVector.fromMemorySegment(F, x, x3 + 4L * i, QuantDot.LE), acc3);
        }
        out[o] = acc0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = acc1.reduceLanes(VectorOperators.ADD);
        out[o + 2] = acc2.reduceLanes(VectorOperators.ADD);
        out[o + 3] = acc3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float wi = brain ? Dequantize.bf16(w, 2L * i) : Dequantize.f16(w, 2L * i);
            out[o] += wi * x.get(Dequantize.F32, x0 + 4L * i);
            out[o + 1] += wi * x.get(Dequantize.F32, x1 + 4L * i);
            out[o + 2] += wi * x.get(Dequantize.F32, x2 + 4L * i);
            out[o + 3] += wi * x.get(Dequantize.F32, x3 + 4L * i);
        }
    }
}
