package fsc.runtime.llm;

import fsc.runtime.CompiledModel;
import fsc.runtime.ElemType;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One compiled decoder step over a flat batch: token ids with their positions and sequence ids,
 * the paged KV cache and its block table, and the rows whose logits are wanted. Prefill (many
 * tokens of one sequence) and decode (one token per sequence) are the same call.
 */
public final class Decoder {
    private final CompiledModel model;
    private final LlmConfig config;
    private final KvCache cache;

    public Decoder(CompiledModel model, LlmConfig config, KvCache cache) {
        this.model = model;
        this.config = config;
        this.cache = cache;
        if (cache.maxSequences() > config.maxSequences()) {
            throw new RuntimeFailure("the KV cache has " + cache.maxSequences()
                    + " sequences; the model was compiled for " + config.maxSequences());
        }
    }

    public LlmConfig config() {
        return config;
    }

    public KvCache cache() {
        return cache;
    }

    /**
     * Runs one step and returns the logits of {@code logitRows} (row-major, {@code logitRows.length ×
     * vocab}). The caller has reserved the positions in the cache with {@link KvCache#append}.
     */
    public float[] step(int[] tokens, int[] positions, int[] seqIds, int[] logitRows) {
        int t = tokens.length;
        if (t == 0 || t > config.maxBatchTokens() || positions.length != t || seqIds.length != t) {
            throw new RuntimeFailure("a step holds 1.." + config.maxBatchTokens() + " tokens with one position and "
                    + "sequence id each, got " + t + "/" + positions.length + "/" + seqIds.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put(LlmConfig.TOKENS, ints(tokens, arena));
            in.put(LlmConfig.POSITIONS, ints(positions, arena));
            in.put(LlmConfig.SEQ_IDS, ints(seqIds, arena));
            in.put(LlmConfig.BLOCK_TABLE, cache.blockTable());
            in.put(LlmConfig.KV_CACHE, cache.cacheTensor());
            in.put(LlmConfig.LOGIT_ROWS, ints(logitRows, arena));
            Tensor logits = model.run(in).get(LlmConfig.LOGITS);
            return logits.toFloatArray();
        }
    }

    private static Tensor ints(int[] values, Arena arena) {
        Tensor tensor = Tensor.allocate(ElemType.I32, new long[] {values.length}, arena);
        MemorySegment.copy(values, 0, tensor.data(), LlmKernels.I32, 0, values.length);
        return tensor;
    }
}
