package fsc.runtime.serve;

import java.util.List;

/**
 * One engine step: the flat batch the compiled decoder runs (token, position and block-table slot
 * per row; the rows whose logits are sampled) and, per sequence, which rows are its chunk.
 */
public record StepPlan(int[] tokens, int[] positions, int[] slots, int[] logitRows, List<Chunk> chunks) {

    /**
     * @param logitIndex index into {@code logitRows} when this chunk ends the sequence's pending tokens, else -1
     */
    public record Chunk(long requestId, int slot, int firstRow, int count, boolean prefill, int logitIndex) {}

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
