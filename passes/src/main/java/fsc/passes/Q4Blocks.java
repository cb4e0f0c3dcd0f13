package fsc.passes;

import fsc.ir.DType;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The {@code quantize} pass's int4 weight encoding: Q4_1 blocks (ggml's layout: f16 scale d, f16
 * minimum m, 16 bytes of nibbles, element i in the low nibble of byte i and i + 16 in the high one;
 * value {@code q · d + m}, q in 0..15), each block's (d, m) found by a search rather than ggml's
 * reference rule ({@code d = (max - min) / 15}, {@code m = min}):
 *
 * <ul>
 *   <li>candidate step counts around 15 across the block's range ({@code (15 + r) / (max - min)},
 *       r from -1 to 1 in steps of 0.1, as llama.cpp's {@code make_qkx2_quants} for K-quants);
 *   <li>for each, the levels are assigned and (d, m) re-fitted by weighted least squares, then
 *       rounded to f16 and the levels assigned again (the error measured is the kernel's);
 *   <li>the weights are the input channel's importance: with measured activations, {@code
 *       (max|x_k| / s_k)²} (s the activation-aware scale), so the rounding error lands where the
 *       activations are small, as llama.cpp's importance matrix does; 1 without.
 * </ul>
 *
 * <p>Why Q4_1 and not Q4_0 (what this pass wrote first): a min per block uses all 16 levels on a
 * block whose values are not centred, where Q4_0's symmetric grid leaves some unused. On
 * all-MiniLM-L6-v2 the per-layer relative error fell by about a quarter for 2 more bytes a block
 * (20 instead of 18 per 32 weights); see docs/QUANTIZATION.md.
 */
final class Q4Blocks {
    private Q4Blocks() {}

    static final int BLOCK = 32;
    static final int BYTES = 20;
    private static final int NMAX = 15;
    private static final int STEPS = 20;
    private static final float RMIN = -1f;
    private static final float RDELTA = 0.1f;

    /**
     * W[K, N] (row-major, as a matmul reads it) as Q4_1 rows of the transposed [N, K]: row j holds
     * column j of W in K / 32 blocks. {@code importance[K]} weighs each input channel's error (null: 1).
     */
    static WeightData q4_1Transposed(float[] w, int k, int n, float[] importance) {
        if (k % BLOCK != 0) {
            throw new IllegalArgumentException("Q4_1 needs K a multiple of 32, got " + k);
        }
        int blocks = k / BLOCK;
        ByteBuffer out = ByteBuffer.allocate(n * blocks * BYTES).order(ByteOrder.LITTLE_ENDIAN);
        float[] block = new float[BLOCK];
        float[] wt = new float[BLOCK];
        for (int j = 0; j < n; j++) {
            for (int b = 0; b < blocks; b++) {
                for (int i = 0; i < BLOCK; i++) {
                    block[i] = w[(b * BLOCK + i) * n + j];
                    wt[i] = importance == null ? 1f : importance[b * BLOCK + i];
                }
                block(block, wt, out, (j * blocks + b) * BYTES);
            }
        }
        return new WeightData(DType.Q4_1, List.of((long) n, (long) k), out);
    }

    /** One block of 32 floats, weights {@code wt}, as 20 Q4_1 bytes at {@code at}. */
    static void block(float[] x, float[] wt, ByteBuffer out, int at) {
        float min = x[0];
        float max = x[0];
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        short bestD = Float.floatToFloat16(0f);
        short bestM = Float.floatToFloat16(min);
        if (max > min) {
            double bestErr = error(x, wt, f16(bestD), f16(bestM));
            int[] l = new int[BLOCK];
            for (int is = -1; is <= STEPS; is++) {
                // is = -1: ggml's reference rule, kept as a candidate so the search never does worse.
                float iscale = is < 0 ? NMAX / (max - min) : (RMIN + RDELTA * is + NMAX) / (max - min);
                double sw = 0;
                double sl = 0;
                double sl2 = 0;
                double sx = 0;
                double sxl = 0;
                for (int i = 0; i < BLOCK; i++) {
                    l[i] = Math.max(0, Math.min(NMAX, Math.round(iscale * (x[i] - min))));
                    double w = wt[i];
                    sw += w;
                    sl += w * l[i];
                    sl2 += w * l[i] * l[i];
                    sx += w * x[i];
                    sxl += w * x[i] * l[i];
                }
                double det = sw * sl2 - sl * sl;
                float d;
                float m;
                if (is < 0 || det <= 0) {
                    d = 1 / iscale;
                    m = min;
                } else {
                    d = (float) ((sw * sxl - sx * sl) / det);
                    m = (float) ((sl2 * sx - sl * sxl) / det);
                }
                short dh = Float.floatToFloat16(d);
                short mh = Float.floatToFloat16(m);
                double err = error(x, wt, f16(dh), f16(mh));
                if (err < bestErr) {
                    bestErr = err;
                    bestD = dh;
                    bestM = mh;
                }
            }
        }
        float d = f16(bestD);
        float m = f16(bestM);
        out.putShort(at, bestD);
        out.putShort(at + 2, bestM);
        for (int i = 0; i < 16; i++) {
            out.put(at + 4 + i, (byte) (level(x[i], d, m) | level(x[i + 16], d, m) << 4));
        }
    }

    /** The weighted squared error of the block with (d, m), each element at its nearest level. */
    private static double error(float[] x, float[] wt, float d, float m) {
        double err = 0;
        for (int i = 0; i < BLOCK; i++) {
            double e = x[i] - (level(x[i], d, m) * (double) d + m);
            err += wt[i] * e * e;
        }
        return err;
    }

    /** The nearest of the 16 levels {@code q · d + m} (0 when d is not positive). */
    static int level(float v, float d, float m) {
        if (!(d > 0)) {
            return 0;
        }
        return Math.max(0, Math.min(NMAX, Math.round((v - m) / d)));
    }

    private static float f16(short h) {
        return Float.float16ToFloat(h);
    }

    /** The value a Q4_1 weight [N, K] holds at (row j, column i), as the kernels decode it. */
    static float value(WeightData w, int j, int i) {
        long k = w.dims().get(1);
        ByteBuffer b = w.view();
        int blk = (int) ((j * k + i) / BLOCK);
        int at = blk * BYTES;
        float d = Float.float16ToFloat(b.getShort(at));
        float m = Float.float16ToFloat(b.getShort(at + 2));
        int e = i % BLOCK;
        int q = b.get(at + 4 + e % 16) & 0xff;
        int nib = e < 16 ? q & 0xf : q >>> 4;
        return nib * d + m;
    }
}
