package fsc.runtime.quant;

import static fsc.runtime.quant.QuantDot.B;
import static fsc.runtime.quant.QuantDot.I;
import static fsc.runtime.quant.QuantDot.L;

import fsc.runtime.RuntimeFailure;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * One K-quant weight row unpacked for prefill with {@link Q8K} activations: the quants as plain
 * int8 (Q4_K 0..15, Q5_K 0..31, Q6_K -32..31), and per run of 16 values an integer scale and min,
 * with the block's {@code d} and {@code dmin}. Unpacking once per weight row and reusing it for
 * every token of the step takes the bit fiddling out of the token loop; the sums are the same
 * exact integers as {@link Q8KDot}'s, rounded in the same steps ({@link Q8KDotReference}'s), so
 * prefill and decode give a token the same bits.
 */
public final class Q8KUnpackedRow {
    private final int k;
    private final byte[] q;
    private final int[] scales;
    private final int[] mins;
    private final float[] d;
    private final float[] dmin;
    private boolean affine;

    public Q8KUnpackedRow(int k) {
        if (k % Q8K.BLOCK != 0) {
            throw new RuntimeFailure("K-quant rows hold a multiple of 256 values, got " + k);
        }
        this.k = k;
        this.q = new byte[k];
        this.scales = new int[k / 16];
        this.mins = new int[k / 16];
        this.d = new float[k / Q8K.BLOCK];
        this.dmin = new float[k / Q8K.BLOCK];
    }

    /** Unpacks the row of {@code type} at byte {@code at} of {@code w} into this scratch. */
    public Q8KUnpackedRow unpack(GgmlType type, MemorySegment w, long at) {
        affine = type != GgmlType.Q6_K;
        for (int b = 0; b < k / Q8K.BLOCK; b++) {
            switch (type) {
                case Q4_K, Q5_K -> unpackQ45(type, w, at + (long) b * type.blockBytes(), b);
                case Q6_K -> unpackQ6(w, at + (long) b * type.blockBytes(), b);
                case F32, F16, BF16, Q8_0, Q4_0, Q4_1 -> throw Q8KDotReference.notK(type);
            }
        }
        return this;
    }

    private void unpackQ45(GgmlType type, MemorySegment w, long at, int b) {
        boolean five = type == GgmlType.Q5_K;
        long qs = at + (five ? 48 : 16);
        d[b] = Dequantize.f16(w, at);
        dmin[b] = Dequantize.f16(w, at + 2);
        int o = b * Q8K.BLOCK;
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < 32; i++) {
                int v = Dequantize.u8(w, qs + 32L * j + i);
                int h = five ? Dequantize.u8(w, at + 16 + i) : 0;
                q[o + 64 * j + i] = (byte) ((v & 0x0F) | ((h >>> (2 * j)) & 1) << 4);
                q[o + 64 * j + 32 + i] = (byte) ((v >>> 4) | ((h >>> (2 * j + 1)) & 1) << 4);
            }
            for (int half = 0; half < 2; half++) {
                int sub = 2 * j + half;
                int run = b * 16 + 2 * sub;
                scales[run] = scales[run + 1] = Dequantize.scaleK4(w, at + 4, sub);
                mins[run] = mins[run + 1] = Dequantize.minK4(w, at + 4, sub);
            }
        }
    }

    private void unpackQ6(MemorySegment w, long at, int b) {
        d[b] = Dequantize.f16(w, at + 208);
        dmin[b] = 0;
        for (int half = 0; half < 2; half++) {
            long ql = at + 64L * half;
            long qh = at + 128 + 32L * half;
            int o = b * Q8K.BLOCK + 128 * half;
            for (int l = 0; l < 32; l++) {
                int a = Dequantize.u8(w, ql + l);
                int c = Dequantize.u8(w, ql + 32 + l);
                int h = Dequantize.u8(w, qh + l);
                q[o + l] = (byte) (((a & 0x0F) | (h & 3) << 4) - 32);
                q[o + 32 + l] = (byte) (((c & 0x0F) | ((h >>> 2) & 3) << 4) - 32);
                q[o + 64 + l] = (byte) (((a >>> 4) | ((h >>> 4) & 3) << 4) - 32);
                q[o + 96 + l] = (byte) (((c >>> 4) | ((h >>> 6) & 3) << 4) - 32);
            }
            for (int r = 0; r < 8; r++) { // run r of this half is sub-block scale sc[r]
                scales[b * 16 + 8 * half + r] = Dequantize.i8(w, at + 192 + 8L * half + r);
                mins[b * 16 + 8 * half + r] = 0;
            }
        }
    }

    /** This row times row {@code row} of {@code x}. */
    public float dot(Q8K x, int row) {
        int b0 = row * k / Q8K.BLOCK;
        if (!QuantDot.VECTORIZED) {
            return scalarDot(x, b0);
        }
        float s = 0;
        for (int b = 0; b < k / Q8K.BLOCK; b++) {
            int xo = (b0 + b) * Q8K.BLOCK;
            int wo = b * Q8K.BLOCK;
            IntVector sum = IntVector.zero(I);
            for (int r = 0; r < 16; r++) {
                IntVector run = IntVector.zero(I);
                for (int i = 16 * r; i < 16 * r + 16; i += L) {
                    IntVector wq =
                            (IntVector) ByteVector.fromArray(B, q, wo + i).convertShape(VectorOperators.B2I, I, 0);
                    IntVector xq =
                            (IntVector) ByteVector.fromArray(B, x.qs, xo + i).convertShape(VectorOperators.B2I, I, 0);
                    run = wq.mul(xq).add(run);
                }
                sum = run.mul(scales[b * 16 + r]).add(sum);
            }
            int sumi = sum.reduceLanes(VectorOperators.ADD); // exact: any order gives the same int
            float dx = x.d[b0 + b];
            if (affine) {
                int summs = 0;
                for (int r = 0; r < 16; r++) {
                    summs += mins[b * 16 + r] * x.bsums[(b0 + b) * 16 + r];
                }
                s += d[b] * dx * sumi - dmin[b] * dx * summs;
            } else {
                s += d[b] * dx * sumi;
            }
        }
        return s;
    }

    private float scalarDot(Q8K x, int b0) {
        float s = 0;
        for (int b = 0; b < k / Q8K.BLOCK; b++) {
            int sumi = 0;
            int summs = 0;
            for (int r = 0; r < 16; r++) {
                int run = 0;
                for (int i = 16 * r; i < 16 * r + 16; i++) {
                    run += q[b * Q8K.BLOCK + i] * x.qs[(b0 + b) * Q8K.BLOCK + i];
                }
                sumi += scales[b * 16 + r] * run;
                summs += mins[b * 16 + r] * x.bsums[(b0 + b) * 16 + r];
            }
            float dx = x.d[b0 + b];
            s += affine ? d[b] * dx * sumi - dmin[b] * dx * summs : d[b] * dx * sumi;
        }
        return s;
    }
}
