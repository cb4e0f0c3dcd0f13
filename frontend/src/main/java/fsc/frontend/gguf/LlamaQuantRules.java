package fsc.frontend.gguf;

/**
 * Which type {@code llama-quantize} gives each tensor of a LLaMA-family file for the file types fsc
 * re-quantizes to ({@link GgufFileType}), without an importance matrix, overrides or {@code --pure}:
 * the rules of llama.cpp's {@code llama-quant.cpp} ({@code tensor_allows_quantization}, {@code
 * llama_tensor_get_type_impl}, {@code tensor_type_fallback}) for the tensor roles a LLaMA, Qwen2 or
 * Gemma decoder has.
 *
 * <ul>
 *   <li>Only weights of two or more dimensions whose names end in {@code weight} are quantized, never
 *       norms: biases, norms and rope factors keep their type.
 *   <li>The output head ({@code output.weight}, or {@code token_embd.weight} when the embeddings are
 *       tied) is Q8_0 when its rows are not whole blocks of the default type, else Q8_0 for a Q8_0
 *       file and Q6_K for the others. An untied token table takes the default type.
 *   <li>Q4_K_M: the attention-value and FFN-down weights of the layers {@code use_more_bits} picks
 *       (the first and last eighth, and every third between) are Q6_K; in a 70B-class model (80
 *       layers, grouped-query attention) the other attention-value weights are Q5_K.
 *   <li>Fallback when a row is not whole blocks: Q4_K → Q5_0, Q6_K → Q8_0, and F16 when even that
 *       does not divide the row (Q4_0 and Q8_0 go straight to F16).
 * </ul>
 */
public final class LlamaQuantRules {
    private LlamaQuantRules() {}

    /**
     * What the model is, as far as the rules ask: its architecture, layer and head counts, and
     * whether the output head is the token table ({@code output.weight} absent).
     */
    public record Model(String arch, int layers, int heads, int kvHeads, boolean tiedEmbeddings) {
        /** llama.cpp's {@code LLM_TYPE_70B} for the families fsc imports. */
        boolean is70B() {
            return layers == 80 && (arch.equals("qwen2") || (arch.equals("llama") && heads != kvHeads));
        }
    }

    /** {@code tensor_allows_quantization} for a decoder's tensors: 2-D+ weights, not norms. */
    public static boolean quantizable(GgufTensorInfo t) {
        String name = t.name();
        return t.dims().size() >= 2
                && name.endsWith("weight")
                && !name.contains("_norm.weight")
                && !name.contains("ffn_gate_inp.weight");
    }

    /** The type llama-quantize writes tensor {@code t} in for file type {@code f}. */
    public static GgmlType targetType(GgufFileType f, GgufTensorInfo t, Model m) {
        if (!quantizable(t)) {
            return t.type();
        }
        String name = t.name();
        long rowLength = t.dims().get(0);
        GgmlType type = f.defaultType();
        boolean output = name.equals("output.weight");
        boolean tokenEmbd = name.equals("token_embd.weight");
        if (output || (m.tiedEmbeddings() && tokenEmbd)) {
            if (rowLength % type.blockSize() != 0) {
                type = GgmlType.Q8_0;
            } else if (type != GgmlType.Q8_0) {
                type = GgmlType.Q6_K;
            }
        } else if (tokenEmbd) {
            // the default type
        } else if (name.contains("attn_v.weight") || name.contains("attn_qkv.weight")) {
            if (f == GgufFileType.Q4_K && useMoreBits(layer(name), m.layers())) {
                type = GgmlType.Q6_K;
            }
            if (m.is70B() && type == GgmlType.Q4_K) {
                type = GgmlType.Q5_K;
            }
        } else if (name.contains("ffn_down")) {
            if (f == GgufFileType.Q4_K && useMoreBits(layer(name), m.layers())) {
                type = GgmlType.Q6_K;
            }
        }
        return fallback(type, rowLength);
    }

    /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers and every third between. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /** {@code tensor_type_fallback}: a type whose blocks do not divide the row gives way. */
    static GgmlType fallback(GgmlType type, long rowLength) {
        if (rowLength % type.blockSize() == 0) {
            return type;
        }
        GgmlType smaller =
                switch (type) {
                    case Q4_K -> GgmlType.Q5_0;
                    case Q5_K -> GgmlType.Q5_1;
                    case Q6_K -> GgmlType.Q8_0;
                    default -> type; // a 32-block type has nothing smaller: F16 below
                };
        return rowLength % smaller.blockSize() == 0 ? smaller : GgmlType.F16;
    }

    /** The layer of a {@code blk.N.} tensor (the rules' per-role counters equal it: llama.cpp sorts by layer). */
    static int layer(String name) {
        if (!name.startsWith("blk.")) {
            throw new IllegalStateException("LlamaQuantRules: '" + name + "' is not a per-layer tensor");
        }
        int end = name.indexOf('.', 4);
        return Integer.parseInt(name.substring(4, end));
    }
}
