package fsc.runtime.quant;

import fsc.runtime.x86.Q8KGemmKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The tokens of a prefill quantized to Q8_K in the layout {@link Q8KGemmKernels} reads: per
 * (super-block, token) {@link Q8KGemmKernels#X_BLOCK} bytes, the 256 int8 values, {@code -32 · bsum}
 * of the 16 runs of 16 (Q6_K's offset) as int32, the 8 sums of runs of 32 as int16 (Q4_K's minimum
 * term; at most 32 · 127 in magnitude) and the scale {@code d}; a token's super-blocks are {@code
 * rows · X_BLOCK} bytes apart, so the kernel walks one pointer for a run of tokens.
 *
 * <p>{@link #quantize} goes from the f32 activations to this layout in one pass with 16-lane
 * vectors (one run of 16 per vector: its sum is one lane reduction), the same bits as {@link
 * Q8K#quantize} followed by {@link #prepare} (the reference, and the path for blocks holding NaN or
 * infinity): the largest magnitude (the first on ties) sets {@code iscale = -127/max}, each value is
 * {@code min(127, rint(iscale · x))} with {@code rint} as ggml's {@code nearest_int} computes it
 * ({@code (v + 1.5·2^23) − 1.5·2^23}: ties to even, exact for these magnitudes), {@code d = 1/iscale}.
 * Tokens are independent, so callers split them between threads once {@link #reserve} has sized the
 * memory.
 */
public final class Q8KGemmActivations {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** 1.5 · 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer, ties to even. */
    private static final float ROUND = 12582912f;

    MemorySegment mem = MemorySegment.NULL;
    int rows;
    int blocks;

    /** Sizes the layout for {@code rows} tokens of {@code k} values (a multiple of 256), reusing its memory. */
    public Q8KGemmActivations reserve(int rows, int k) {
        if (k % Q8K.BLOCK != 0) {
            throw new IllegalArgumentException("Q8_K activations need rows of a multiple of 256 values, got " + k);
        }
        this.rows = rows;
        this.blocks = k / Q8K.BLOCK;
        long bytes = (long) rows * blocks * Q8KGemmKernels.X_BLOCK;
        if (mem.byteSize() < bytes) {
            mem = Arena.ofAuto().allocate(bytes, 64);
        }
        return this;
    }

    /** Tokens laid out. */
    public int rows() {
        return rows;
    }

    /**
     * Quantizes tokens {@code from .. to} of the {@link #reserve reserved} shape from {@code x}
     * ({@code rows} rows of {@code k} little-endian floats from byte {@code byteOffset}).
     */
    public void quantize(MemorySegment x, long byteOffset, int from, int to) {
        java.util.Objects.checkFromToIndex(from, to, rows);
        long rowBytes = 4L * blocks * Q8K.BLOCK;
        java.util.Objects.checkFromToIndex(byteOffset, byteOffset + rows * rowBytes, x.byteSize());
        for (int t = from; t < to; t++) {
            for (int b = 0; b < blocks; b++) {
                block(
                        x,
                        byteOffset + t * rowBytes + 4L * Q8K.BLOCK * b,
                        ((long) b * rows + t) * Q8KGemmKernels.X_BLOCK);
            }
        }
    }

    private void block(MemorySegment x, long src, long at) {
        FloatVector amaxV = FloatVector.zero(F);
        for (int v = 0; v < 16; v++) {
            amaxV = amaxV.max(
                    FloatVector.fromMemorySegment(F, x, src + 64L * v, LE).abs());
        }
        float amax = amaxV.reduceLanes(VectorOperators.MAX);
        if (!(amax < Float.POSITIVE_INFINITY)) { // NaN or infinity: the reference's comparisons decide
            scalarBlock(x, src, at);
            return;
        }
        if (amax == 0) { // the reference's zero block: zero values and sums, d = 0
            for (long i = 0; i < Q8KGemmKernels.X_D; i += 8) {
                mem.set(ValueLayout.JAVA_LONG_UNALIGNED, at + i, 0L);
            }
            mem.set(F32, at + Q8KGemmKernels.X_D, 0f);
            return;
        }
        float max = 0;
        for (int v = 0; v < 16; v++) {
            VectorMask<Float> m =
                    FloatVector.fromMemorySegment(F, x, src + 64L * v, LE).abs().compare(VectorOperators.EQ, amax);
            if (m.anyTrue()) {
                max = x.get(F32, src + 64L * v + 4L * m.firstTrue());
                break;
            }
        }
        float iscale = -127f / max;
        int previous = 0;
        for (int v = 0; v < 16; v++) {
            FloatVector s = FloatVector.fromMemorySegment(F, x, src + 64L * v, LE)
                    .mul(iscale)
                    .add(ROUND)
                    .sub(ROUND);
            IntVector q = ((IntVector) s.convert(VectorOperators.F2I, 0)).min(127);
            int sum = q.reduceLanes(VectorOperators.ADD);
            ((ByteVector) q.convertShape(VectorOperators.I2B, ByteVector.SPECIES_128, 0))
                    .intoMemorySegment(mem, at + 16L * v, LE);
            mem.set(I32, at + Q8KGemmKernels.X_NEG32 + 4L * v, -32 * sum);
            if (v % 2 == 1) {
                mem.set(I16, at + Q8KGemmKernels.X_BS32 + 2L * (v / 2), (short) (previous + sum));
            }
            previous = sum;
        }
        mem.set(F32, at + Q8KGemmKernels.X_D, 1 / iscale);
    }

    /** The reference's scalar steps for one block (only blocks with NaN or infinity come here). */
    private void scalarBlock(MemorySegment x, long src, long at) {
        float[] values = new float[Q8K.BLOCK];
        MemorySegment.copy(x, F32, src, values, 0, Q8K.BLOCK);
        byte[] qs = new byte[Q8K.BLOCK];
        int[] sums = new int[16];
        float d = Q8K.quantizeBlock(values, 0, qs, 0, sums, 0);
        write(qs, 0, sums, 0, d, at);
    }

    /** Lays out every row of {@code xq}: the reference layout {@link #quantize} must match. */
    public Q8KGemmActivations prepare(Q8K xq) {
        reserve(xq.rows(), xq.k());
        for (int t = 0; t < rows; t++) {
            for (int b = 0; b < blocks; b++) {
                int block = t * blocks + b;
                write(
                        xq.qs,
                        Q8K.BLOCK * block,
                        xq.bsums,
                        16 * block,
                        xq.d[block],
                        ((long) b * rows + t) * Q8KGemmKernels.X_BLOCK);
            }
        }
        return this;
    }

    private void write(byte[] qs, int qo, int[] sums, int so, float d, long at) {
        MemorySegment.copy(qs, qo, mem, ValueLayout.JAVA_BYTE, at, Q8K.BLOCK);
        for (int i = 0; i < 16; i++) {
            mem.set(I32, at + Q8KGemmKernels.X_NEG32 + 4L * i, -32 * sums[so + i]);
        }
        for (int j = 0; j < 8; j++) {
            mem.set(I16, at + Q8KGemmKernels.X_BS32 + 2L * j, (short) (sums[so + 2 * j] + sums[so + 2 * j + 1]));
        }
        mem.set(F32, at + Q8KGemmKernels.X_D, d);
    }
}
