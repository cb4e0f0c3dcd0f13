package fsc.passes;

import fsc.ir.DType;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The weight encodings of the {@code quantize} pass, each with the decoding the kernels apply, so a
 * test and the accuracy report can reproduce exactly what the compiled model multiplies by.
 *
 * <ul>
 *   <li><b>int8, per output channel, symmetric</b> (ONNX Runtime's dynamic-quantization recipe with
 *       {@code per_channel}): column j of W[K, N] is {@code s_j · q[:, j]}, {@code s_j = max|W[:, j]|
 *       / 127}, {@code q = round(W / s_j)} in [-127, 127] (half away from zero, as MLAS's quantizer);
 *       -128 is never used, so the kernel's exact-in-f32 bound {@code 255 · 128} holds.
 *   <li><b>Q4_0</b> (ggml's block layout: an f16 scale d, then 16 bytes, element i in the low nibble
 *       of byte i and element i + 16 in the high one, value {@code (nibble - 8) · d}). The scale is
 *       ggml's ({@code d = max / -8}, with max the element of largest magnitude, so that element is
 *       exact) or, when it gives a smaller squared error on the block, the best of a few scales
 *       around it: ggml's reference rule is tuned for speed, and weights quantized once at compile
 *       time can afford the search (as ggml's own {@code make_qx_quants} does for K-quants).
 * </ul>
 */
public final class WeightQuantizer {
    private WeightQuantizer() {}

    static final int Q4_BLOCK = 32;

    /** int8 per column: {@code {q as i32[K, N], scales f32[N]}} for the i32 matmul the pass emits. */
    static WeightData[] int8PerColumn(float[] w, int k, int n) {
        float[] scales = new float[n];
        for (int j = 0; j < n; j++) {
            float max = 0;
            for (int i = 0; i < k; i++) {
                max = Math.max(max, Math.abs(w[i * n + j]));
            }
            scales[j] = max / 127f;
        }
        ByteBuffer q = ByteBuffer.allocate(k * n * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) {
                q.putInt((i * n + j) * Integer.BYTES, int8(w[i * n + j], scales[j]));
            }
        }
        ByteBuffer s = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < n; j++) {
            s.putFloat(j * Float.BYTES, scales[j]);
        }
        return new WeightData[] {
            new WeightData(DType.I32, List.of((long) k, (long) n), q), new WeightData(DType.F32, List.of((long) n), s)
        };
    }

    /** Per-column scales (f32[N]) times {@code factor}: a static activation scale folded into them. */
    static WeightData scaled(WeightData scales, float factor) {
        ByteBuffer in = scales.view();
        int n = in.capacity() / Float.BYTES;
        ByteBuffer out = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < n; j++) {
            out.putFloat(j * Float.BYTES, in.getFloat(j * Float.BYTES) * factor);
        }
        return new WeightData(DType.F32, scales.dims(), out);
    }

    /**
     * int8 per output channel of a conv weight W[M, ...] (each filter a row of K elements): {@code
     * {q as i8[M, ...], scales f32[M]}}, symmetric as {@link #int8PerColumn}.
     */
    static WeightData[] int8PerRow(float[] w, List<Long> dims) {
        int m = Math.toIntExact(dims.get(0));
        int k = w.length / m;
        ByteBuffer q = ByteBuffer.allocate(w.length).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer s = ByteBuffer.allocate(m * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < m; r++) {
            float max = 0;
            for (int i = 0; i < k; i++) {
                max = Math.max(max, Math.abs(w[r * k + i]));
            }
            float sc = max / 127f;
            s.putFloat(r * Float.BYTES, sc);
            for (int i = 0; i < k; i++) {
                q.put(r * k + i, (byte) int8(w[r * k + i], sc));
            }
        }
        return new WeightData[] {new WeightData(DType.I8, dims, q), new WeightData(DType.F32, List.of((long) m), s)};
    }

    /** One weight quantized with scale {@code s}: the nearest of -127..127 (zero when s is zero). */
    static int int8(float v, float s) {
        if (s == 0) {
            return 0;
        }
        return (int) Math.max(-127, Math.min(127, Math.round((double) v / s)));
    }

    /**
     * W[K, N] (row-major, as a matmul reads it) as Q4_0 rows of the transposed [N, K], the layout of
     * {@code qmatmul}'s weight: row j holds column j of W in K / 32 blocks. K must be a multiple of 32.
     */
    static WeightData q4_0Transposed(float[] w, int k, int n) {
        if (k % Q4_BLOCK != 0) {
            throw new IllegalArgumentException("Q4_0 needs K a multiple of 32, got " + k);
        }
        int blocks = k / Q4_BLOCK;
        ByteBuffer out = ByteBuffer.allocate(n * blocks * 18).order(ByteOrder.LITTLE_ENDIAN);
        float[] block = new float[Q4_BLOCK];
        for (int j = 0; j < n; j++) {
            for (int b = 0; b < blocks; b++) {
                for (int i = 0; i < Q4_BLOCK; i++) {
                    block[i] = w[(b * Q4_BLOCK + i) * n + j];
                }
                q4_0Block(block, out, (j * blocks + b) * 18);
            }
        }
        return new WeightData(DType.Q4_0, List.of((long) n, (long) k), out);
    }

    /** Candidate scales tried besides ggml's, as multiples of it (1.0 is ggml's own). */
    private static final float[] Q4_SCALE_STEPS = {1.0f, 0.95f, 0.9f, 0.85f, 0.8f, 1.05f, 1.1f};

    /** One block of 32 floats as 18 Q4_0 bytes at {@code at}. */
    static void q4_0Block(float[] x, ByteBuffer out, int at) {
        float amax = 0;
        float max = 0;
        for (float v : x) {
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float base = max / -8f;
        float best = base;
        double bestErr = Double.MAX_VALUE;
        for (float step : Q4_SCALE_STEPS) {
            // The f16 the block will store, so the error measured is the error the kernel sees.
            float d = Float.float16ToFloat(Float.floatToFloat16(base * step));
            double err = 0;
            for (float v : x) {
                double e = v - (nibble(v, d) - 8) * (double) d;
                err += e * e;
            }
            if (err < bestErr) {
                bestErr = err;
                best = d;
            }
        }
        out.putShort(at, Float.floatToFloat16(best));
        for (int i = 0; i < 16; i++) {
            out.put(at + 2 + i, (byte) (nibble(x[i], best) | nibble(x[i + 16], best) << 4));
        }
    }

    /** ggml's rounding: {@code min(15, (int) (v / d + 8.5))}, 8 (zero) when d is zero. */
    private static int nibble(float v, float d) {
        if (d == 0) {
            return 8;
        }
        return Math.max(0, Math.min(15, (int) (v * (1f / d) + 8.5f)));
    }

    /** The f32 elements of a row-major f32 weight. */
    public static float[] floats(WeightData w) {
        java.nio.FloatBuffer b = w.view().asFloatBuffer();
        float[] f = new float[Math.toIntExact(w.elementCount())];
        b.get(f);
        return f;
    }

    /**
     * W[K, N] as the kernels multiply it after quantizing to {@code p}: int8 codes times their
     * column's scale, Q4_0 nibbles times their block's scale, or W itself for fp32.
     */
    public static double[] decoded(float[] w, int k, int n, Precision p) {
        return decoded(w, k, n, p, null);
    }

    /** As {@link #decoded(float[], int, int, Precision)}, int4 blocks fitted with channel weights {@code importance}. */
    public static double[] decoded(float[] w, int k, int n, Precision p, float[] importance) {
        double[] out = new double[w.length];
        switch (p) {
            case FP32 -> {
                for (int i = 0; i < w.length; i++) {
                    out[i] = w[i];
                }
            }
            case INT8 -> {
                WeightData[] q = int8PerColumn(w, k, n);
                ByteBuffer codes = q[0].view();
                ByteBuffer scales = q[1].view();
                for (int i = 0; i < w.length; i++) {
                    out[i] = codes.getInt(i * Integer.BYTES) * (double) scales.getFloat((i % n) * Float.BYTES);
                }
            }
            case INT4 -> {
                WeightData q = Q4Blocks.q4_1Transposed(w, k, n, importance);
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < n; j++) {
                        out[i * n + j] = Q4Blocks.value(q, j, i);
                    }
                }
            }
        }
        return out;
    }

    /**
     * The channel weights of the int4 block fit for an activation with channel maxima {@code actMax}
     * divided by scales {@code s} (null: none): {@code (max|x_k| / s_k)²}, floored at 10⁻⁴ of their
     * mean so that a channel the sample inputs never excited is still fitted. Null without maxima.
     */
    public static float[] importance(float[] actMax, float[] s) {
        if (actMax == null) {
            return null;
        }
        float[] imp = new float[actMax.length];
        double sum = 0;
        for (int i = 0; i < imp.length; i++) {
            float a = actMax[i] / (s == null ? 1f : s[i]);
            imp[i] = a * a;
            sum += imp[i];
        }
        float floor = (float) (1e-4 * sum / imp.length);
        for (int i = 0; i < imp.length; i++) {
            imp[i] = Math.max(imp[i], floor);
        }
        return imp;
    }

    /** A Q4_0 or Q4_1 weight [N, K] decoded to f32 [N, K] (for the reference interpreter, which reads plain weights). */
    public static WeightData int4AsF32(WeightData q) {
        return q.dtype() == DType.Q4_1 ? q4_1AsF32(q) : q4_0AsF32(q);
    }

    private static WeightData q4_1AsF32(WeightData q) {
        int n = Math.toIntExact(q.dims().get(0));
        int k = Math.toIntExact(q.dims().get(1));
        ByteBuffer out = ByteBuffer.allocate(n * k * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < k; i++) {
                out.putFloat((j * k + i) * Float.BYTES, Q4Blocks.value(q, j, i));
            }
        }
        return new WeightData(DType.F32, List.of((long) n, (long) k), out);
    }

    /** A Q4_0 weight [N, K] decoded to f32 [N, K] (for the reference interpreter, which reads plain weights). */
    public static WeightData q4_0AsF32(WeightData q) {
        int n = Math.toIntExact(q.dims().get(0));
        int k = Math.toIntExact(q.dims().get(1));
        ByteBuffer out = ByteBuffer.allocate(n * k * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < k; i++) {
                out.putFloat((j * k + i) * Float.BYTES, q4_0Value(q, j, i));
            }
        }
        return new WeightData(DType.F32, List.of((long) n, (long) k), out);
    }

    /** The value a Q4_0 weight [N, K] holds at (row j, column i), as the kernels decode it. */
    static float q4_0Value(WeightData w, int j, int i) {
        long k = w.dims().get(1);
        ByteBuffer b = w.view();
        int blk = (int) ((j * k + i) / Q4_BLOCK);
        int at = blk * 18;
        float d = Float.float16ToFloat(b.getShort(at));
        int e = i % Q4_BLOCK;
        int q = b.get(at + 2 + e % 16) & 0xff;
        int nib = e < 16 ? q & 0xf : q >>> 4;
        return (nib - 8) * d;
    }
}
