package fsc.runtime.quant;

import fsc.runtime.kernels.Lanes;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one packed weight row with a float vector, computed on the blocks in place (no
 * dequantized copy of the row). Every kernel has the shape of llama3.java's: per block, broadcast
 * the scale, load the packed bytes from the {@code MemorySegment}, unpack nibbles with lane-wise
 * and/shift, widen bytes to floats, {@code fma} into an accumulator, and sum the lanes once at
 * the end in a fixed order ({@link #sum}). {@link Dequantize#dot} is the reference each kernel is tested against.
 *
 * <p>Vector values never cross a method call: a helper that C2 declines to inline (its inlining
 * budget is shared with whatever generated method calls us) would box every vector and run
 * 10-30x slower, so the widening, nibble and half-float code is written out in each kernel.
 *
 * <p>The species is chosen once: the preferred float shape when it has 8 or 16 lanes (AVX2,
 * AVX-512), so that one byte vector of the same lane count widens into exactly one float vector.
 * On narrower hardware (128-bit NEON/SSE) the kernels fall back to the scalar reference.
 */
public final class QuantDot {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Bytes with as many lanes as {@link #F}, so B2F widens one byte vector into one float vector. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    /** Shorts with as many lanes as {@link #F}, for F16/BF16 rows. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, L * 16)));
    /** Ints with as many lanes as {@link #F}, for bit-level float conversions. */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Whether the vector kernels run here; false selects the scalar reference. */
    public static final boolean VECTORIZED = L == 8 || L == 16;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * {@code ROTATE[h]}: lane i takes lane (i + h) mod L, the steps of {@link Lanes#sum}'s tree,
     * which every kernel here writes inline ({@link Lanes} says why and how): a vector passed to a
     * call C2 does not inline is boxed.
     */
    static final VectorShuffle<Float>[] ROTATE = Lanes.rotations();

    private QuantDot() {}

    /**
     * {@code sum_i w[i] * x[xOffset + i]} for the {@code n} weights of {@code type} stored from byte
     * {@code rowOffset} of {@code row}. {@code n} must be a whole number of blocks (a weight row
     * always is); {@code rowOffset} and {@code xOffset} may be anything.
     */
    public static float dot(GgmlType type, MemorySegment row, long rowOffset, float[] x, int xOffset, int n) {
        Objects.checkFromIndexSize(xOffset, n, x.length);
        // A float[] segment is in native order; every platform fsc targets (x86-64, AArch64) is little-endian.
        return dot(type, row, rowOffset, MemorySegment.ofArray(x), 4L * xOffset, n);
    }

    /**
     * As {@link #dot(GgmlType, MemorySegment, long, float[], int, int)}, with {@code x} as {@code n}
     * little-endian floats from byte {@code xByteOffset} of a segment (an activation in the arena).
     */
    public static float dot(
            GgmlType type, MemorySegment row, long rowOffset, MemorySegment x, long xByteOffset, int n) {
        MemorySegment w = row.asSlice(rowOffset, type.bytesFor(n));
        MemorySegment xs = x.asSlice(xByteOffset, 4L * n);
        return dotInPlace(type, w, 0, xs, n);
    }

    /**
     * The dot of the row at byte {@code at} of {@code w} with the first {@code n} floats of {@code
     * xs}, without slicing either (the decode row loop calls it once per row and allocates nothing);
     * the segments' own bounds checks guard every access.
     */
    static float dotInPlace(GgmlType type, MemorySegment w, long at, MemorySegment xs, int n) {
        if (!VECTORIZED) {
            return scalarDot(type, w, at, xs, n);
        }
        if (KQuantMatVec.supports(type)) {
            // The decode matvec's own row kernel, so a row's dot is the same bits on either path.
            float[] scratch = KQuantMatVec.scratch(n);
            KQuantMatVec.prepare(type, xs, n, scratch);
            return KQuantMatVec.row(type, w, at, xs, scratch, n);
        }
        return switch (type) {
            case F32 -> f32(w, at, xs, 0, n);
            case F16 -> f16(w, at, xs, 0, n, false);
            case BF16 -> f16(w, at, xs, 0, n, true);
            case Q8_0 -> q8_0(w, at, xs, 0, n);
            case Q4_0 -> q4_0(w, at, xs, 0, n);
            case Q4_1 -> q4_1(w, at, xs, 0, n);
            case Q4_K -> KQuantDot.q4_K(w, at, xs, 0, n);
            case Q5_K -> KQuantDot.q5_K(w, at, xs, 0, n);
            case Q6_K -> KQuantDot.q6_K(w, at, xs, 0, n);
        };
    }

    /** This thread's dequantized row for {@link #scalarDot}, grown to the longest row seen. */
    private static final ThreadLocal<float[]> SCALAR_ROW = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * 128-bit vectors: {@link Dequantize#dot}'s arithmetic in its order (dequantize the row, then one
     * sequential f32 sum), so the same bits as the reference, but into this thread's row and reading
     * x in place: the decode loop calls it per row and must allocate nothing.
     */
    private static float scalarDot(GgmlType type, MemorySegment w, long at, MemorySegment xs, int n) {
        float[] row = SCALAR_ROW.get();
        if (row.length < n) {
            row = new float[n];
            SCALAR_ROW.set(row);
        }
        Dequantize.row(type, w, at, row, 0, n);
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += row[i] * xs.get(Dequantize.F32, 4L * i);
        }
        return sum;
    }

    private static float f32(MemorySegment w, long at, MemorySegment x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < F.loopBound(n); i += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, at + 4L * i, LE);
            acc = wv.fma(FloatVector.fromMemorySegment(F, x, 4L * (xo + i), LE), acc);
        }
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(ROTATE[h]));
        }
        float sum = acc.lane(0);
        for (; i < n; i++) {
            sum += w.get(Dequantize.F32, at + 4L * i) * x.get(Dequantize.F32, 4L * (xo + i));
        }
        return sum;
    }

    /**
     * F16 rows widen with integer ops (Giesen's half-to-float: shift the 15 magnitude bits into
     * place, rescale by 2^112 so subnormals come out right, patch Inf/NaN, restore the sign); BF16
     * is the high half of an f32.
     */
    private static float f16(MemorySegment w, long at, MemorySegment x, int xo, int n, boolean brain) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < F.loopBound(n); i += L) {
            IntVector h = (IntVector)
                    ShortVector.fromMemorySegment(S, w, at + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
            FloatVector wv;
            if (brain) {
                wv = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            } else {
                FloatVector magnitude = h.and(0x7fff)
                        .lanewise(VectorOperators.LSHL, 13)
                        .reinterpretAsFloats()
                        .mul(0x1p112f);
                VectorMask<Integer> infOrNan =
                        magnitude.compare(VectorOperators.GE, 65536f).cast(I);
                IntVector bits = magnitude.reinterpretAsInts();
                bits = bits.blend(bits.or(255 << 23), infOrNan);
                wv = bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            }
            acc = wv.fma(FloatVector.fromMemorySegment(F, x, 4L * (xo + i), LE), acc);
        }
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(ROTATE[h]));
        }
        float sum = acc.lane(0);
        for (; i < n; i++) {
            float v = brain ? Dequantize.bf16(w, at + 2L * i) : Dequantize.f16(w, at + 2L * i);
            sum += v * x.get(Dequantize.F32, 4L * (xo + i));
        }
        return sum;
    }

    private static float q8_0(MemorySegment w, long at, MemorySegment x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++, at += 34, xo += 32) {
            FloatVector d = FloatVector.broadcast(F, HalfFloats.at(w, at));
            FloatVector block = FloatVector.zero(F);
            // Lanes i, then i + 16: the order QuantDotRows keeps, so its results are bit-identical.
            for (int i = 0; i < 16; i += L) {
                FloatVector lo = ((FloatVector)
                        (ByteVector.fromMemorySegment(B, w, at + 2 + i, LE)).convertShape(VectorOperators.B2F, F, 0));
                FloatVector hi = ((FloatVector)
                        (ByteVector.fromMemorySegment(B, w, at + 18 + i, LE)).convertShape(VectorOperators.B2F, F, 0));
                block = lo.fma(FloatVector.fromMemorySegment(F, x, 4L * (xo + i), LE), block);
                block = hi.fma(FloatVector.fromMemorySegment(F, x, 4L * (xo + 16 + i), LE), block);
            }
            acc = block.fma(d, acc);
        }
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(ROTATE[h]));
        }
        return acc.lane(0);
    }

    private static float q4_0(MemorySegment w, long at, MemorySegment x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++, at += 18, xo += 32) {
            FloatVector d = FloatVector.broadcast(F, HalfFloats.at(w, at));
            FloatVector block = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                // Nibbles split on int lanes (x86 has no byte shift): the same floats q - 8 as QuantMatVec.
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, w, at + 2 + i, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = (FloatVector) q.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                FloatVector hi =
                        (FloatVector) q.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0);
                block = lo.fma(FloatVector.fromMemorySegment(F, x, 4L * (xo + i), LE), block);
                block = hi.fma(FloatVector.fromMemorySegment(F, x, 4L * (xo + 16 + i), LE), block);
            }
            acc = block.fma(d, acc);
        }
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(ROTATE[h]));
        }
        return acc.lane(0);
    }

    // sum(w*x) = d*sum(q*x) + m*sum(x): two accumulators, one fma each per block.
    private static float q4_1(MemorySegment w, long at, MemorySegment x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++, at += 20, xo += 32) {
            FloatVector d = FloatVector.broadcast(F, Dequantize.f16(w, at));
            FloatVector m = FloatVector.broadcast(F, Dequantize.f16(w, at + 2));
            FloatVector qx = FloatVector.zero(F);
            FloatVector sx = FloatVector.zero(F);
            for (int i = 0; i < 16; i += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, w, at + 4 + i, LE);
                FloatVector x0 = FloatVector.fromMemorySegment(F, x, 4L * (xo + i), LE);
                FloatVector x1 = FloatVector.fromMemorySegment(F, x, 4L * (xo + 16 + i), LE);
                qx = ((FloatVector) (q.and((byte) 0x0F)).convertShape(VectorOperators.B2F, F, 0)).fma(x0, qx);
                qx = ((FloatVector) (q.lanewise(VectorOperators.LSHR, 4)).convertShape(VectorOperators.B2F, F, 0))
                        .fma(x1, qx);
                sx = sx.add(x0).add(x1);
            }
            acc = qx.fma(d, acc);
            acc = sx.fma(m, acc);
        }
        for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(ROTATE[h]));
        }
        return acc.lane(0);
    }
}
