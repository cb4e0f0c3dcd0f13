package fsc.runtime.quant;

import fsc.runtime.RuntimeFailure;
import java.lang.foreign.MemorySegment;

/**
 * Activations quantized as ggml's {@code block_q8_K}, the form llama.cpp's CPU backend gives every
 * activation row before a K-quant dot product: per 256 values a float scale {@code d}, 256 int8
 * values and the 16 sums of each run of 16 ({@code bsums}, which carry the affine types' minimum
 * term). Quantizing follows ggml's {@code quantize_row_q8_K_ref} exactly: the element of largest
 * magnitude {@code max} (the first on ties) sets {@code iscale = -127/max}; each value becomes
 * {@code min(127, nearest_int(iscale * x))} with ties to even (ggml's {@code nearest_int} adds
 * {@code 1.5 * 2^23}); {@code d = 1/iscale}. A block of zeros has {@code d = 0}.
 *
 * <p>One object holds {@code rows} rows of {@code k} values back to back: {@code k} is a multiple
 * of 256, so a block never spans two rows.
 */
public final class Q8K {
    public static final int BLOCK = 256;

    final byte[] qs;
    final float[] d;
    final int[] bsums;
    private final int k;
    /** One block of activations, copied from the segment before it is quantized. */
    private final float[] block = new float[BLOCK];

    private Q8K(int rows, int k) {
        this.k = k;
        this.qs = new byte[rows * k];
        this.d = new float[rows * k / BLOCK];
        this.bsums = new int[rows * k / 16];
    }

    /** {@code rows} rows of {@code k} little-endian floats from byte {@code byteOffset} of {@code x}. */
    public static Q8K quantize(MemorySegment x, long byteOffset, int rows, int k) {
        if (k % BLOCK != 0) {
            throw new RuntimeFailure("Q8_K activations need rows of a multiple of " + BLOCK + " values, got " + k);
        }
        return quantize(x, byteOffset, rows, k, null);
    }

    /**
     * As {@link #quantize(MemorySegment, long, int, int)}, into {@code reuse} when it has the same
     * shape (its contents are overwritten), else into a new Q8K: decode quantizes one activation row
     * per matmul, and a steady-state step allocates nothing.
     */
    public static Q8K quantize(MemorySegment x, long byteOffset, int rows, int k, Q8K reuse) {
        if (k % BLOCK != 0) {
            throw new RuntimeFailure("Q8_K activations need rows of a multiple of " + BLOCK + " values, got " + k);
        }
        Q8K q = reuse != null && reuse.k == k && reuse.qs.length == rows * k ? reuse : new Q8K(rows, k);
        for (int b = 0; b < q.d.length; b++) {
            MemorySegment.copy(x, Dequantize.F32, byteOffset + 4L * b * BLOCK, q.block, 0, BLOCK);
            q.quantizeBlock(b, q.block);
        }
        return q;
    }

    /** {@code x} as one row. */
    public static Q8K quantize(float[] x) {
        return quantize(MemorySegment.ofArray(x), 0, 1, x.length);
    }

    private void quantizeBlock(int b, float[] x) {
        d[b] = quantizeBlock(x, 0, qs, b * BLOCK, bsums, b * 16);
    }

    /**
     * ggml's {@code quantize_row_q8_K_ref} on the 256 values of {@code x} from {@code xo}: the int8
     * values into {@code qs} from {@code qo}, the 16 sums of runs of 16 into {@code sums} from {@code
     * so}; returns the block's scale {@code d}. The reference of every faster quantizer of this form.
     */
    static float quantizeBlock(float[] x, int xo, byte[] qs, int qo, int[] sums, int so) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < BLOCK; j++) {
            float ax = Math.abs(x[xo + j]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + j];
            }
        }
        if (amax == 0) {
            java.util.Arrays.fill(qs, qo, qo + BLOCK, (byte) 0);
            java.util.Arrays.fill(sums, so, so + 16, 0);
            return 0;
        }
        float iscale = -127f / max;
        for (int j = 0; j < BLOCK; j++) {
            qs[qo + j] = (byte) Math.min(127, (int) Math.rint(iscale * x[xo + j]));
        }
        for (int j = 0; j < BLOCK / 16; j++) {
            int s = 0;
            for (int i = 0; i < 16; i++) {
                s += qs[qo + 16 * j + i];
            }
            sums[so + j] = s;
        }
        return 1 / iscale;
    }

    /** Values per row. */
    public int k() {
        return k;
    }

    /** Rows held. */
    public int rows() {
        return qs.length / k;
    }

    /** Value {@code i} of row {@code row} as the dot products see it: {@code q * d}. */
    public float value(int row, int i) {
        int at = row * k + i;
        return qs[at] * d[at / BLOCK];
    }

    /** The scale of block {@code block} (counted over all rows). */
    public float scale(int block) {
        return d[block];
    }

    /** The int8 value {@code i} (counted over all rows). */
    public int quant(int i) {
        return qs[i];
    }

    /** The sum of the 16 int8 values of run {@code j} (counted over all rows). */
    public int blockSum(int j) {
        return bsums[j];
    }
}
