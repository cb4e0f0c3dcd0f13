package fsc.runtime.serve;

import fsc.runtime.llm.Sampler;
import java.util.List;

/**
 * One engine step: the flat batch the compiled decoder runs (token, position and block-table slot
 * per row; the rows whose logits are sampled) and, per sequence, which rows are its chunk.
 */
public record StepPlan(int[] tokens, int[] positions, int[] slots, int[] logitRows, List<Chunk> chunks) {

    /**
     * @param logitIndex index into {@code logitRows} when this chunk ends the sequence's pending tokens, else -1
     * @param sampler the sequence's sampler: a speculative step drafts and verifies with it, on the
     *     engine thread, as the scheduler samples with it after a plain step
     * @param draftRoom positions reserved in the KV pool after this decode row for draft tokens (0:
     *     none): a speculative step may verify up to this many; the rest are returned when it completes
     * @param history the sequence's tokens, valid through this chunk's last row (a speculative step
     *     feeds the draft model the ones its cache lacks)
     * @param draftComputed leading positions of the sequence the draft model's cache holds
     */
    public record Chunk(
            long requestId,
            int slot,
            int firstRow,
            int count,
            boolean prefill,
            int logitIndex,
            Sampler sampler,
            int draftRoom,
            int[] history,
            int draftComputed) {

        /** A chunk of a plain step: no draft room. */
        public Chunk(long requestId, int slot, int firstRow, int count, boolean prefill, int logitIndex) {
            this(requestId, slot, firstRow, count, prefill, logitIndex, null, 0, null, 0);
        }
    }

    /** Draft positions reserved over all chunks: rows a speculative step may add to this plan. */
    public int draftRoom() {
        return chunks.stream().mapToInt(Chunk::draftRoom).sum();
    }

    public int size() {
        return tokens.length;
    }

    public int decodeTokens() {
        return chunks.stream().filter(c -> !c.prefill()).mapToInt(Chunk::count).sum();
    }

    public int prefillTokens() {
        return chunks.stream().filter(Chunk::prefill).mapToInt(Chunk::count).sum();
    }

    /** Rows no chunk owns: the padding of a fixed-shape static batch ({@link Batching#STATIC_PADDED}). */
    public int paddingRows() {
        return size() - decodeTokens() - prefillTokens();
    }
}
