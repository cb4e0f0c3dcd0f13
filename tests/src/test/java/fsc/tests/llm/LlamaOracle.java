package fsc.tests.llm;

import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufMetadata;
import fsc.frontend.gguf.GgufTensorInfo;
import fsc.runtime.quant.Dequantize;
import fsc.runtime.quant.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A scalar LLaMA forward pass straight from a GGUF file, independent of fsc's compiler: weights are
 * dequantized with the reference {@link Dequantize} and every step is plain loops. It is the oracle
 * that separates "fsc computes the model right" from "fsc rounds like llama.cpp".
 *
 * <p>{@link Numerics#F32} keeps activations in f32 (sums in f64): what fsc computes. {@link
 * Numerics#LLAMA_CPP_CPU} rounds where llama.cpp's CPU backend rounds, which for a model whose
 * logits are ~50 moves them by up to ~1.3 (see docs/LLM.md): every activation row entering a
 * K-quant matmul is quantized to Q8_K (ggml's {@code quantize_row_q8_K_ref}: scale {@code
 * -127/max}, round half to even, clamp at 127); the KV cache is f16; attention is ggml's CPU flash
 * attention (Q rounded to f16, online softmax, V accumulated in an f16 vector).
 */
final class LlamaOracle {
    enum Numerics {
        F32,
        LLAMA_CPP_CPU
    }

    /** One weight matrix, dequantized row-major {@code [rows][cols]}, with the GGUF type it had. */
    private record Matrix(float[] w, int rows, int cols, GgmlType type) {
        boolean kQuant() {
            return type == GgmlType.Q4_K || type == GgmlType.Q5_K || type == GgmlType.Q6_K;
        }
    }

    private record Layer(
            float[] attnNorm,
            Matrix q,
            Matrix k,
            Matrix v,
            Matrix o,
            float[] ffnNorm,
            Matrix gate,
            Matrix up,
            Matrix down) {}

    private final Numerics numerics;
    private final int dim;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float eps;
    private final double ropeBase;
    private final Matrix embedding;
    private final Matrix output;
    private final float[] outputNorm;
    private final List<Layer> layers = new ArrayList<>();
    /** Per layer, per position: the k and v rows of all KV heads ({@code kvHeads*headDim}). */
    private final List<List<float[]>> keys = new ArrayList<>();

    private final List<List<float[]>> values = new ArrayList<>();
    private int position;

    LlamaOracle(Path gguf, Numerics numerics) {
        this.numerics = numerics;
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufMetadata m = f.metadata();
            dim = m.getInt("llama.embedding_length");
            heads = m.getInt("llama.attention.head_count");
            kvHeads = m.getInt("llama.attention.head_count_kv", heads);
            headDim = dim / heads;
            eps = m.getFloat("llama.attention.layer_norm_rms_epsilon");
            ropeBase = m.getFloat("llama.rope.freq_base", 10000f);
            embedding = matrix(f, "token_embd.weight");
            output = f.findTensor("output.weight").isPresent() ? matrix(f, "output.weight") : embedding;
            outputNorm = matrix(f, "output_norm.weight").w();
            int blocks = m.getInt("llama.block_count");
            for (int l = 0; l < blocks; l++) {
                String p = "blk." + l + ".";
                layers.add(new Layer(
                        matrix(f, p + "attn_norm.weight").w(),
                        matrix(f, p + "attn_q.weight"),
                        matrix(f, p + "attn_k.weight"),
                        matrix(f, p + "attn_v.weight"),
                        matrix(f, p + "attn_output.weight"),
                        matrix(f, p + "ffn_norm.weight").w(),
                        matrix(f, p + "ffn_gate.weight"),
                        matrix(f, p + "ffn_up.weight"),
                        matrix(f, p + "ffn_down.weight")));
                keys.add(new ArrayList<>());
                values.add(new ArrayList<>());
            }
        }
    }

    private static Matrix matrix(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        int cols = (int) (long) t.dims().getFirst();
        int rows = (int) (t.elementCount() / cols);
        GgmlType type = GgmlType.byId(t.type().id());
        float[] w = new float[rows * cols];
        Dequantize.row(type, f.tensorData(t), 0, w, 0, rows * cols);
        return new Matrix(w, rows, cols, type);
    }

    int vocab() {
        return embedding.rows();
    }

    /** Feeds one token at the next position and returns the logits after it. */
    float[] step(int token) {
        float[] x = new float[dim];
        System.arraycopy(embedding.w(), token * dim, x, 0, dim);
        for (int l = 0; l < layers.size(); l++) {
            Layer layer = layers.get(l);
            float[] h = rmsNorm(x, layer.attnNorm());
            float[] q = rope(matmul(layer.q(), h));
            float[] k = rope(matmul(layer.k(), h));
            float[] v = matmul(layer.v(), h);
            keys.get(l).add(cache(k));
            values.get(l).add(cache(v));
            float[] attn = new float[dim];
            for (int head = 0; head < heads; head++) {
                // ggml broadcasts KV head g to query heads g*group .. g*group+group-1.
                int kvOffset = head / (heads / kvHeads) * headDim;
                float[] o = numerics == Numerics.F32
                        ? softmaxAttention(q, head * headDim, keys.get(l), values.get(l), kvOffset)
                        : flashAttentionF16(q, head * headDim, keys.get(l), values.get(l), kvOffset);
                System.arraycopy(o, 0, attn, head * headDim, headDim);
            }
            add(x, matmul(layer.o(), attn));
            h = rmsNorm(x, layer.ffnNorm());
            float[] gate = matmul(layer.gate(), h);
            float[] up = matmul(layer.up(), h);
            for (int i = 0; i < gate.length; i++) {
                gate[i] = (float) (gate[i] / (1 + Math.exp(-gate[i])) * up[i]);
            }
            add(x, matmul(layer.down(), gate));
        }
        position++;
        return matmul(output, rmsNorm(x, outputNorm));
    }

    private float[] cache(float[] row) {
        return numerics == Numerics.F32 ? row : roundToF16(row);
    }

    private float[] matmul(Matrix m, float[] x) {
        float[] in = numerics == Numerics.LLAMA_CPP_CPU && m.kQuant() ? q8K(x) : x;
        float[] y = new float[m.rows()];
        for (int r = 0; r < m.rows(); r++) {
            double s = 0;
            for (int c = 0; c < m.cols(); c++) {
                s += (double) m.w()[r * m.cols() + c] * in[c];
            }
            y[r] = (float) s;
        }
        return y;
    }

    /**
     * ggml's {@code quantize_row_q8_K_ref} and back: per 256 values, the element of largest magnitude
     * {@code max} (first one on ties) sets {@code iscale = -127/max}; each value becomes {@code
     * min(127, nearest_int(iscale*x))} and is read back as {@code q * (1/iscale)}, all in f32.
     */
    static float[] q8K(float[] x) {
        float[] out = new float[x.length];
        for (int b = 0; b < x.length; b += 256) {
            float amax = 0;
            float max = 0;
            for (int j = b; j < b + 256; j++) {
                if (Math.abs(x[j]) > amax) {
                    amax = Math.abs(x[j]);
                    max = x[j];
                }
            }
            if (amax == 0) {
                continue;
            }
            float iscale = -127f / max;
            float d = 1 / iscale;
            for (int j = b; j < b + 256; j++) {
                out[j] = Math.min(127, (int) Math.rint(iscale * x[j])) * d;
            }
        }
        return out;
    }

    private float[] rmsNorm(float[] x, float[] weight) {
        double ss = 0;
        for (float v : x) {
            ss += (double) v * v;
        }
        float scale = (float) (1 / Math.sqrt(ss / x.length + eps));
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * scale * weight[i];
        }
        return y;
    }

    /** llama.cpp's "normal" rope for the llama architecture: adjacent pairs (2i, 2i+1) rotate. */
    private float[] rope(float[] v) {
        for (int h = 0; h < v.length; h += headDim) {
            for (int i = 0; i < headDim; i += 2) {
                double theta = position * Math.pow(ropeBase, -(double) i / headDim);
                double c = Math.cos(theta);
                double s = Math.sin(theta);
                double a = v[h + i];
                double b = v[h + i + 1];
                v[h + i] = (float) (a * c - b * s);
                v[h + i + 1] = (float) (a * s + b * c);
            }
        }
        return v;
    }

    private float[] softmaxAttention(float[] q, int qo, List<float[]> ks, List<float[]> vs, int kvo) {
        int n = ks.size();
        double[] p = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) {
            p[t] = dot(q, qo, ks.get(t), kvo) / Math.sqrt(headDim);
            max = Math.max(max, p[t]);
        }
        double sum = 0;
        for (int t = 0; t < n; t++) {
            p[t] = Math.exp(p[t] - max);
            sum += p[t];
        }
        float[] o = new float[headDim];
        for (int i = 0; i < headDim; i++) {
            double s = 0;
            for (int t = 0; t < n; t++) {
                s += p[t] * vs.get(t)[kvo + i];
            }
            o[i] = (float) (s / sum);
        }
        return o;
    }

    /**
     * ggml's CPU flash attention for an f16 cache, one query row: q rounded to f16, scores in f32,
     * running max {@code M} and sum {@code S}; the output accumulates in f16, rescaled by {@code
     * exp(Mold - M)} whenever the max grows; it is divided by {@code S} at the end.
     */
    private float[] flashAttentionF16(float[] q, int qo, List<float[]> ks, List<float[]> vs, int kvo) {
        float[] q16 = roundToF16(java.util.Arrays.copyOfRange(q, qo, qo + headDim));
        float scale = (float) (1 / Math.sqrt(headDim));
        float m = Float.NEGATIVE_INFINITY;
        float sum = 0;
        float[] acc = new float[headDim]; // holds f16 values
        for (int t = 0; t < ks.size(); t++) {
            float s = (float) dot(q16, 0, ks.get(t), kvo) * scale;
            float ms = 1;
            float vsc = 1;
            if (s > m) {
                float old = m;
                m = s;
                ms = old == Float.NEGATIVE_INFINITY ? 0 : (float) Math.exp(old - m);
                for (int i = 0; i < headDim; i++) {
                    acc[i] = f16(acc[i] * ms);
                }
            } else {
                vsc = (float) Math.exp(s - m);
            }
            float[] v = vs.get(t);
            for (int i = 0; i < headDim; i++) {
                acc[i] = f16(acc[i] + v[kvo + i] * vsc);
            }
            sum = sum * ms + vsc;
        }
        float[] o = new float[headDim];
        for (int i = 0; i < headDim; i++) {
            o[i] = acc[i] / sum;
        }
        return o;
    }

    private double dot(float[] q, int qo, float[] k, int ko) {
        double s = 0;
        for (int i = 0; i < headDim; i++) {
            s += (double) q[qo + i] * k[ko + i];
        }
        return s;
    }

    private static float f16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    private static float[] roundToF16(float[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = f16(v[i]);
        }
        return r;
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
