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
    /**
     * {@code views[slot][count]}: the tensor over the first {@code count} ints of staging row {@code
     * slot}, made on first use, so a step of a size seen before allocates no tensor.
     */
    private final Tensor[][] views;
    /** The step's inputs, its values replaced in place every step (same keys, same order). */
    private final Map<String, Tensor> inputs = new LinkedHashMap<>();

    public Decoder(CompiledModel model, LlmConfig config, KvCache cache) {
        this.model = model;
        this.config = config;
        this.cache = cache;
        this.staging = Arena.ofAuto().allocate(4L * 4 * config.maxBatchTokens(), 64);
        this.views = new Tensor[4][config.maxBatchTokens() + 1];
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
        float[] logits = new float[Math.multiplyExact(logitRows.length, config.vocab())];
        step(tokens, positions, seqIds, logitRows, logits);
        return logits;
    }

    /**
     * As {@link #step(int[], int[], int[], int[])}, writing the logits into {@code logits} (at least
     * {@code logitRows.length × vocab} floats): once the JIT has settled, a step allocates nothing.
     */
    public void step(int[] tokens, int[] positions, int[] seqIds, int[] logitRows, float[] logits) {
        int t = tokens.length;
        if (t == 0 || t > config.maxBatchTokens() || positions.length != t || seqIds.length != t) {
            throw new RuntimeFailure("a step holds 1.." + config.maxBatchTokens() + " tokens with one position and "
                    + "sequence id each, got " + t + "/" + positions.length + "/" + seqIds.length);
        }
        if (logitRows.length == 0 || logitRows.length > t) {
            throw new RuntimeFailure("a step returns 1.." + t + " logit rows, asked for " + logitRows.length);
        }
        long wanted = (long) logitRows.length * config.vocab();
        if (logits.length < wanted) {
            throw new RuntimeFailure("the logits array holds " + logits.length + " floats, the step returns " + wanted);
        }
        inputs.put(LlmConfig.TOKENS, ints(0, tokens));
        inputs.put(LlmConfig.POSITIONS, ints(1, positions));
        inputs.put(LlmConfig.SEQ_IDS, ints(2, seqIds));
        inputs.put(LlmConfig.BLOCK_TABLE, cache.blockTable());
        inputs.put(LlmConfig.KV_CACHE, cache.cacheTensor());
        inputs.put(LlmConfig.LOGIT_ROWS, ints(3, logitRows));
        Tensor out = model.run(inputs).get(LlmConfig.LOGITS);
        if (out.type() == ElemType.F32) {
            MemorySegment.copy(out.data(), LlmKernels.F32, 0, logits, 0, (int) wanted);
        } else {
            for (int i = 0; i < wanted; i++) {
                logits[i] = out.getFloat(i);
            }
        }
    }

    /** {@code values} in staging buffer {@code slot}: reused every step, shared so worker threads may read it. */
    private Tensor ints(int slot, int[] values) {
        Tensor view = views[slot][values.length];
        if (view == null) {
            MemorySegment s = staging.asSlice(4L * slot * config.maxBatchTokens(), 4L * values.length);
            view = new Tensor(ElemType.I32, new long[] {values.length}, s);
            views[slot][values.length] = view;
        }
        MemorySegment.copy(values, 0, view.data(), LlmKernels.I32, 0, values.length);
        return view;
    }
}
