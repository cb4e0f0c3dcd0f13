package fsc.runtime.quant;

import static fsc.runtime.quant.QuantDot.B;
import static fsc.runtime.quant.QuantDot.F;
import static fsc.runtime.quant.QuantDot.I;
import static fsc.runtime.quant.QuantDot.L;
import static fsc.runtime.quant.QuantDot.LE;

import fsc.runtime.x86.QuantMatVecKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * A range of rows of a packed weight matrix times one activation vector: the decode step's matmul.
 * Decode reads every weight byte once per token, so the loop over rows lives here, inside one
 * compiled method, rather than around a per-row call: the weight segment is one loop-invariant
 * object addressed by plain offsets (no {@code asSlice} per row, whose {@code dup} and liveness
 * checks were most of a decode profile), the activation is a heap {@code float[]} copied once per
 * matmul, and the only per-row work outside the block loop is one reduction and one store. Block
 * scales are looked up in {@link HalfFloats#TABLE} rather than converted (load ports only).
 *
 * <p>Per row the arithmetic is exactly {@link QuantDot}'s (same products, same order), so every
 * result is bit-identical to {@link QuantDot#dot} and to {@link QuantDotRows}: a token's logits do
 * not depend on which kernel a step size selects. Q4_0 nibbles are widened to ints before they are
 * split ({@code ZERO_EXTEND_B2I}, then {@code and}/{@code lshr}/{@code sub} on int lanes, then
 * {@code I2F}): x86 has no byte shift, so the byte-lane version C2 emulates costs more, and the
 * floats produced are the same small integers {@code q - 8}.
 */
public final class QuantMatVec {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private QuantMatVec() {}

    /** Whether {@link #rows} has a row-loop kernel for {@code type} (others go row by row through QuantDot). */
    public static boolean supports(GgmlType type) {
        return QuantDot.VECTORIZED && (type == GgmlType.Q4_0 || type == GgmlType.Q8_0) || KQuantMatVec.supports(type);
    }

    /**
     * {@code y[j] = dot(w row j, x[0..k))} for rows {@code from..to} of {@code w} (row {@code j} at byte
     * {@code j * type.bytesFor(k)}), stored as little-endian floats at byte {@code yOffset + 4 * j} of
     * {@code y}.
     */
    public static void rows(
            GgmlType type, MemorySegment w, float[] x, int k, MemorySegment y, long yOffset, int from, int to) {
        rows(type, w, x, MemorySegment.ofArray(x), k, y, yOffset, from, to);
    }

    /**
     * As {@link #rows(GgmlType, MemorySegment, float[], int, MemorySegment, long, int, int)}, with
     * {@code xs} the segment view of {@code x} (a caller that keeps one allocates nothing per call).
     */
    public static void rows(
            GgmlType type,
            MemorySegment w,
            float[] x,
            MemorySegment xs,
            int k,
            MemorySegment y,
            long yOffset,
            int from,
            int to) {
        long rowBytes = type.bytesFor(k);
        Objects.checkFromToIndex(from, to, Integer.MAX_VALUE);
        Objects.checkFromIndexSize(0, k, x.length);
        Objects.checkFromIndexSize(0, 4L * k, xs.byteSize());
        Objects.checkFromToIndex(0, to * rowBytes, w.byteSize());
        Objects.checkFromToIndex(yOffset, yOffset + 4L * to, y.byteSize());
        if (!supports(type)) {
            for (int j = from; j < to; j++) {
                y.set(Dequantize.F32, yOffset + 4L * j, QuantDot.dotInPlace(type, w, j * rowBytes, xs, k));
            }
            return;
        }
        if (NATIVE != null
                && (type == GgmlType.Q4_0 || type == GgmlType.Q8_0 || type == GgmlType.Q6_K)
                && w.isNative()
                && xs.isNative()
                && y.isNative()
                && k >= type.blockSize()
                && from < to) {
            nativeRows(type, w, rowBytes, xs, k, y, yOffset, from, to);
        } else if (KQuantMatVec.supports(type)) {
            // The activation's sub-block sums are the same for every row: taken once per call.
            float[] scratch = KQuantMatVec.scratch(k);
            KQuantMatVec.prepare(type, xs, k, scratch);
            KQuantMatVec.rows(type, w, rowBytes, xs, scratch, k, y, yOffset, from, to);
        } else if (type == GgmlType.Q4_0) {
            q4_0(w, rowBytes, x, k, y, yOffset, from, to);
        } else {
            q8_0(w, rowBytes, x, k, y, yOffset, from, to);
        }
    }

    /**
     * The machine-code form of {@link #q4_0}, {@link #q8_0} (same bits, four rows interleaved) and
     * {@code KQuantMatVec.q6_K} (same bits, a row at a time),
     * where this CPU has AVX-512 and the Java kernels use 16 lanes (their order is the 16-lane one);
     * {@code null} where the Java kernels run.
     */
    private static final QuantMatVecKernels NATIVE =
            L == 16 && QuantDot.VECTORIZED ? QuantMatVecKernels.loadIfSupported(HalfFloats.TABLE) : null;

    /** Where a thread's 64-byte kernel scratch (Q6_K's block scales) starts in its parameter segment. */
    private static final long SCRATCH_AT = 128;

    private static final ThreadLocal<MemorySegment> PARAMS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(SCRATCH_AT + 64, 64));

    /** Whether the Q4_0/Q8_0 row kernels are machine code in this process. */
    public static boolean nativeKernels() {
        return NATIVE != null;
    }

    private static void nativeRows(
            GgmlType type,
            MemorySegment w,
            long rowBytes,
            MemorySegment xs,
            int k,
            MemorySegment y,
            long yOffset,
            int from,
            int to) {
        int rows = to - from;
        MemorySegment p = PARAMS.get();
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantMatVecKernels.W, w.address() + from * rowBytes);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantMatVecKernels.ROW_BYTES, rowBytes);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantMatVecKernels.X, xs.address());
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantMatVecKernels.BLOCKS, k / type.blockSize());
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantMatVecKernels.Y, y.address() + yOffset + 4L * from);
        boolean single = type == GgmlType.Q6_K; // a row at a time: every row is the kernel's "tail"
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantMatVecKernels.GROUPS, single ? 0 : rows / QuantMatVecKernels.ROWS);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantMatVecKernels.TAIL, single ? rows : rows % QuantMatVecKernels.ROWS);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantMatVecKernels.CONSTANTS, NATIVE.constants());
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantMatVecKernels.SCRATCH, p.address() + SCRATCH_AT);
        int format =
                switch (type) {
                    case Q4_0 -> QuantMatVecKernels.Q4_0;
                    case Q8_0 -> QuantMatVecKernels.Q8_0;
                    default -> QuantMatVecKernels.Q6_K;
                };
        NATIVE.run(format, p.address());
    }

    /**
     * The 16 floats {@code q - 8} for {@code q} = 0..15, as int bits: a Q4_0 nibble is looked up
     * rather than computed. {@code selectFrom} wraps its indices to the lane count (JDK 24+), so with
     * 16 lanes one {@code vpermd} both masks the low nibble and converts it: three vector operations
     * fewer per block than and/sub/convert, 1.04-1.13x the GB/s of that kernel (docs/PERFORMANCE-LLM.md).
     * The floats are the same, so results stay bit-identical to QuantDot's.
     */
    private static final IntVector NIBBLE_FLOATS = IntVector.fromArray(I, nibbleFloats(), 0);

    private static int[] nibbleFloats() {
        int[] t = new int[I.length()];
        for (int q = 0; q < t.length; q++) {
            t[q] = Float.floatToRawIntBits(q - 8);
        }
        return t;
    }

    private static void q4_0(
            MemorySegment w, long rowBytes, float[] x, int k, MemorySegment y, long yOffset, int from, int to) {
        if (L != 16) {
            q4_0Computed(w, rowBytes, x, k, y, yOffset, from, to);
            return;
        }
        int blocks = k / 32;
        float[] half = HalfFloats.TABLE;
        for (int j = from; j < to; j++) {
            long row = j * rowBytes;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++) {
                long at = row + 18L * b;
                FloatVector d = FloatVector.broadcast(F, half[w.get(I16, at) & 0xffff]);
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, w, at + 2, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = q.selectFrom(NIBBLE_FLOATS).reinterpretAsFloats();
                FloatVector hi = q.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(NIBBLE_FLOATS)
                        .reinterpretAsFloats();
                FloatVector block = lo.fma(FloatVector.fromArray(F, x, 32 * b), FloatVector.zero(F));
                block = hi.fma(FloatVector.fromArray(F, x, 32 * b + 16), block);
                acc = block.fma(d, acc);
            }
            for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
                acc = acc.add(acc.rearrange(QuantDot.ROTATE[h]));
            }
            y.set(Dequantize.F32, yOffset + 4L * j, acc.lane(0));
        }
    }

    /** Q4_0 for 8-lane vectors (AVX2), whose table lookup would hold only half the nibble values. */
    private static void q4_0Computed(
            MemorySegment w, long rowBytes, float[] x, int k, MemorySegment y, long yOffset, int from, int to) {
        int blocks = k / 32;
        float[] half = HalfFloats.TABLE;
        for (int j = from; j < to; j++) {
            long row = j * rowBytes;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++) {
                long at = row + 18L * b;
                FloatVector d = FloatVector.broadcast(F, half[w.get(I16, at) & 0xffff]);
                FloatVector block = FloatVector.zero(F);
                for (int i = 0; i < 16; i += L) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B, w, at + 2 + i, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    FloatVector lo = (FloatVector) q.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
                    FloatVector hi = (FloatVector)
                            q.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0);
                    block = lo.fma(FloatVector.fromArray(F, x, 32 * b + i), block);
                    block = hi.fma(FloatVector.fromArray(F, x, 32 * b + 16 + i), block);
                }
                acc = block.fma(d, acc);
            }
            for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
                acc = acc.add(acc.rearrange(QuantDot.ROTATE[h]));
            }
            y.set(Dequantize.F32, yOffset + 4L * j, acc.lane(0));
        }
    }

    private static void q8_0(
            MemorySegment w, long rowBytes, float[] x, int k, MemorySegment y, long yOffset, int from, int to) {
        int blocks = k / 32;
        float[] half = HalfFloats.TABLE;
        for (int j = from; j < to; j++) {
            long row = j * rowBytes;
            FloatVector acc = FloatVector.zero(F);
            for (int b = 0; b < blocks; b++) {
                long at = row + 34L * b;
                FloatVector d = FloatVector.broadcast(F, half[w.get(I16, at) & 0xffff]);
                FloatVector block = FloatVector.zero(F);
                for (int i = 0; i < 16; i += L) {
                    FloatVector lo = (FloatVector)
                            ByteVector.fromMemorySegment(B, w, at + 2 + i, LE).convertShape(VectorOperators.B2F, F, 0);
                    FloatVector hi = (FloatVector)
                            ByteVector.fromMemorySegment(B, w, at + 18 + i, LE).convertShape(VectorOperators.B2F, F, 0);
                    block = lo.fma(FloatVector.fromArray(F, x, 32 * b + i), block);
                    block = hi.fma(FloatVector.fromArray(F, x, 32 * b + 16 + i), block);
                }
                acc = block.fma(d, acc);
            }
            for (int h = L / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
                acc = acc.add(acc.rearrange(QuantDot.ROTATE[h]));
            }
            y.set(Dequantize.F32, yOffset + 4L * j, acc.lane(0));
        }
    }
}
