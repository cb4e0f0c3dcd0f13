package fsc.runtime.llm;

import fsc.runtime.ElemType;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the generation loop needs to know about a compiled decoder, stored in the jar as {@value
 * #ENTRY}: the shapes fixed at compile time (vocabulary, cache layout, context and batch bounds)
 * and the tokenizer. The decoder graph's inputs are named by the constants below.
 *
 * @param maxContext positions the rope tables cover: no sequence may grow past it
 * @param maxBatchTokens tokens one step may hold (bound of the graph's {@code T})
 * @param maxSequences rows of the block table the graph accepts (bound of {@code NS})
 * @param numerics how the decoder rounds: {@value #NUMERICS_F32} (the default) or {@value
 *     #NUMERICS_LLAMA_CPP} (llama.cpp CPU's Q8_K activations and f16 flash attention); informative,
 *     the generated code already does it
 */
public record LlmConfig(
        String name,
        String architecture,
        int vocab,
        PagedLayout layout,
        int maxContext,
        int maxBatchTokens,
        int maxSequences,
        long weightBytes,
        String numerics,
        TokenizerSpec tokenizer) {

    /** The jar entry holding this config. */
    public static final String ENTRY = "fsc/llm.json";

    public static final String TOKENS = "tokens";
    public static final String POSITIONS = "positions";
    public static final String SEQ_IDS = "seq_ids";
    public static final String BLOCK_TABLE = "block_table";
    public static final String KV_CACHE = "kv_cache";
    public static final String LOGIT_ROWS = "logit_rows";
    public static final String LOGITS = "logits";

    public static final String NUMERICS_F32 = "f32";
    public static final String NUMERICS_LLAMA_CPP = "llama-cpp";

    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("architecture", architecture);
        m.put("vocab", vocab);
        m.put("layers", layout.layers());
        m.put("block_size", layout.blockSize());
        m.put("heads", layout.heads());
        m.put("kv_heads", layout.kvHeads());
        m.put("head_dim", layout.headDim());
        m.put("scale", layout.scale());
        m.put("kv_type", layout.kvType().name().toLowerCase(Locale.ROOT));
        m.put("max_context", maxContext);
        m.put("max_batch_tokens", maxBatchTokens);
        m.put("max_sequences", maxSequences);
        m.put("weight_bytes", weightBytes);
        m.put("numerics", numerics);
        m.put("tokenizer", tokenizer.toJson());
        return Json.write(m);
    }

    public static LlmConfig fromJson(String text) {
        Map<String, Object> m = JsonFields.object(Json.parse(text), "the document");
        PagedLayout layout = new PagedLayout(
                JsonFields.integer(m, "layers"),
                JsonFields.integer(m, "block_size"),
                JsonFields.integer(m, "heads"),
                JsonFields.integer(m, "kv_heads"),
                JsonFields.integer(m, "head_dim"),
                (float) JsonFields.number(m, "scale"),
                m.containsKey("kv_type") ? kvType(JsonFields.string(m, "kv_type")) : ElemType.F32);
        return new LlmConfig(
                JsonFields.string(m, "name"),
                JsonFields.string(m, "architecture"),
                JsonFields.integer(m, "vocab"),
                layout,
                JsonFields.integer(m, "max_context"),
                JsonFields.integer(m, "max_batch_tokens"),
                JsonFields.integer(m, "max_sequences"),
                (long) JsonFields.number(m, "weight_bytes"),
                m.containsKey("numerics") ? JsonFields.string(m, "numerics") : NUMERICS_F32,
                TokenizerSpec.fromJson(JsonFields.object(JsonFields.get(m, "tokenizer"), "'tokenizer'")));
    }

    private static ElemType kvType(String name) {
        return switch (name) {
            case "f32" -> ElemType.F32;
            case "f16" -> ElemType.F16;
            default -> throw new RuntimeFailure(ENTRY + ": kv_type must be f32 or f16, got '" + name + "'");
        };
    }

    /** The config of the model jar {@code loader} reads classes from. */
    public static LlmConfig load(ClassLoader loader) {
        try (InputStream in = loader.getResourceAsStream(ENTRY)) {
            if (in == null) {
                throw new RuntimeFailure("this model has no " + ENTRY + ": it is not a decoder compiled from GGUF");
            }
            return fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RuntimeFailure("cannot read " + ENTRY + ": " + e.getMessage());
        }
    }
}
