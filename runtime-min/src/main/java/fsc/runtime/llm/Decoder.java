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
    /** Four i32 staging rows of maxBatchTokens: tokens, positions, sequence ids, logit rows. */
    private final MemorySegment staging;

    public Decoder(CompiledModel model, LlmConfig config, KvCache cache) {
        this.model = model;
        this.config = config;
        this.cache = cache;
        this.staging = Arena.ofAuto().allocate(4L * 4 * config.maxBatchTokens(), 64);
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
        if (logitRows.length == 0 || logitRows.length > t) {
            throw new RuntimeFailure("a step returns 1.." + t + " logit rows, asked for " + logitRows.length);
        }
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put(LlmConfig.TOKENS, ints(0, tokens));
        in.put(LlmConfig.POSITIONS, ints(1, positions));
        in.put(LlmConfig.SEQ_IDS, ints(2, seqIds));
        in.put(LlmConfig.BLOCK_TABLE, cache.blockTable());
        in.put(LlmConfig.KV_CACHE, cache.cacheTensor());
        in.put(LlmConfig.LOGIT_ROWS, ints(3, logitRows));
        return model.run(in).get(LlmConfig.LOGITS).toFloatArray();
    }

    /** {@code values} in staging buffer {@code slot}: reused every step, shared so worker threads may read it. */
    private Tensor ints(int slot, int[] values) {
        MemorySegment s = staging.asSlice(4L * slot * config.maxBatchTokens(), 4L * values.length);
        MemorySegment.copy(values, 0, s, LlmKernels.I32, 0, values.length);
        return new Tensor(ElemType.I32, new long[] {values.length}, s);
    }
}
