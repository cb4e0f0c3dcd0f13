package fsc.runtime.quant;

import fsc.runtime.RuntimeFailure;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Activations quantized as ggml's {@code block_q8_0}, the form llama.cpp's CPU backend gives every
 * activation row before a Q4_0 or Q8_0 dot product (their {@code vec_dot_type}): per 32 values an
 * f16 scale {@code d} and 32 int8 values. Quantizing follows the function llama.cpp runs on x86
 * ({@code quantize_row_q8_0} in {@code ggml-cpu/arch/x86/quants.c}, the AVX path), which differs
 * from the portable {@code quantize_row_q8_0_ref} in two roundings: {@code amax = max |x|}, {@code
 * d = amax / 127}, stored as f16 (round to nearest even, as F16C's {@code vcvtps2ph}); the
 * multiplier is {@code id = 127 / amax} (0 for a block of zeros), not {@code 1 / d}; and {@code q =
 * round(x · id)} rounds ties to even ({@code _mm256_round_ps(_MM_ROUND_NEAREST)}), not away from
 * zero. The dot products read {@code d} as the float of its f16, as ggml's do.
 *
 * <p>One object holds {@code rows} rows of {@code k} values back to back and, for the machine-code
 * kernels, the same data in their layout ({@link #X_BLOCK} bytes per block and row, block-major:
 * block {@code b} of row {@code t} at {@code (b · rows + t) · X_BLOCK}, so one kernel call walks
 * several rows' copies of a block with constant displacements): the 32 int8 values at 0, {@code -8
 * Σq} at {@link #X_NEG8}, {@code -128 Σq} at {@link #X_NEG128} (the corrections of the kernels'
 * unsigned weight operands) and {@code d} at {@link #X_D}. {@link #quantize} rewrites a reused
 * object in place, so a decode step allocates nothing.
 */
public final class Q80 {
    public static final int BLOCK = 32;

    /** Bytes of one block of one row in the kernels' layout, and where its parts start. */
    public static final int X_BLOCK = 48, X_NEG8 = 32, X_NEG128 = 36, X_D = 40;

    final byte[] qs;
    /** {@code d} of each block, as the float of its f16. */
    final float[] d;

    private final int rows;
    private final int k;
    private final MemorySegment layout;
    /** One block of activations, copied from the segment before it is quantized ({@link #quantize}'s scratch). */
    private final float[] block = new float[BLOCK];

    private Q80(int rows, int k) {
        this.rows = rows;
        this.k = k;
        this.qs = new byte[rows * k];
        this.d = new float[rows * k / BLOCK];
        this.layout = Arena.ofAuto().allocate((long) d.length * X_BLOCK, 64);
    }

    /** {@code rows} rows of {@code k} little-endian floats from byte {@code byteOffset} of {@code x}. */
    public static Q80 quantize(MemorySegment x, long byteOffset, int rows, int k) {
        return quantize(x, byteOffset, rows, k, null);
    }

    /**
     * As {@link #quantize(MemorySegment, long, int, int)}, into {@code reuse} when it has the same
     * shape (its contents are overwritten), else into a new object.
     */
    public static Q80 quantize(MemorySegment x, long byteOffset, int rows, int k, Q80 reuse) {
        Q80 q = shaped(rows, k, reuse);
        q.quantizeRows(x, byteOffset, 0, rows, q.block);
        return q;
    }

    /**
     * {@code reuse} when it holds {@code rows} rows of {@code k}, else a new object of that shape,
     * for {@link #quantizeRows} to fill (threads may fill disjoint row ranges at once).
     */
    public static Q80 shaped(int rows, int k, Q80 reuse) {
        if (k % BLOCK != 0 || k <= 0 || rows <= 0) {
            throw new RuntimeFailure("Q8_0 activations need rows of a positive multiple of " + BLOCK + " values, got "
                    + rows + " rows of " + k);
        }
        return reuse != null && reuse.k == k && reuse.rows == rows ? reuse : new Q80(rows, k);
    }

    /**
     * Quantizes rows {@code from..to-1} of the {@code rows × k} floats at byte {@code byteOffset} of
     * {@code x} into this object's rows of the same numbers, with {@code scratch} ({@link #BLOCK}
     * floats, the calling thread's own) holding one block at a time.
     */
    public void quantizeRows(MemorySegment x, long byteOffset, int from, int to, float[] scratch) {
        int blocksPerRow = k / BLOCK;
        for (int t = from; t < to; t++) {
            for (int b = 0; b < blocksPerRow; b++) {
                MemorySegment.copy(
                        x, Dequantize.F32, byteOffset + 4L * ((long) t * k + (long) b * BLOCK), scratch, 0, BLOCK);
                quantizeBlock(t, b, scratch);
            }
        }
    }

    /** {@code x} as one row. */
    public static Q80 quantize(float[] x) {
        return quantize(MemorySegment.ofArray(x), 0, 1, x.length);
    }

    private void quantizeBlock(int t, int b, float[] x) {
        float amax = 0;
        for (int j = 0; j < BLOCK; j++) {
            amax = Math.max(amax, Math.abs(x[j]));
        }
        float dq = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
        float id = amax != 0 ? 127f / amax : 0f;
        int at = t * k + b * BLOCK;
        int sum = 0;
        for (int j = 0; j < BLOCK; j++) {
            int v = (int) Math.rint(x[j] * id);
            qs[at + j] = (byte) v;
            sum += v;
        }
        int blocksPerRow = k / BLOCK;
        d[t * blocksPerRow + b] = dq;
        long l = ((long) b * rows + t) * X_BLOCK;
        MemorySegment.copy(qs, at, layout, ValueLayout.JAVA_BYTE, l, BLOCK);
        layout.set(ValueLayout.JAVA_INT, l + X_NEG8, -8 * sum);
        layout.set(ValueLayout.JAVA_INT, l + X_NEG128, -128 * sum);
        layout.set(ValueLayout.JAVA_FLOAT, l + X_D, dq);
    }

    /** Values per row. */
    public int k() {
        return k;
    }

    /** Rows held. */
    public int rows() {
        return rows;
    }

    /** Value {@code i} of row {@code row} as the dot products see it: {@code q · d}. */
    public float value(int row, int i) {
        int at = row * k + i;
        return qs[at] * d[at / BLOCK];
    }

    /** The int8 value {@code i} of row {@code row}. */
    public int quant(int row, int i) {
        return qs[row * k + i];
    }

    /** The scale of block {@code b} of row {@code row}. */
    public float scale(int row, int b) {
        return d[row * (k / BLOCK) + b];
    }

    /** The kernels' layout (see the class comment). */
    MemorySegment layout() {
        return layout;
    }
}
