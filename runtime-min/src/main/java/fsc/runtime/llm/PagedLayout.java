package fsc.runtime.llm;

import fsc.runtime.RuntimeFailure;
import java.lang.foreign.MemorySegment;

/**
 * Where a key lives in the paged KV cache. A block holds {@code blockSize} consecutive positions of
 * one sequence for every layer: {@code [layer][k|v][slot][kvHeads * headDim]} floats, so a sequence
 * owns whole blocks and returning them frees every layer at once.
 */
public record PagedLayout(int layers, int blockSize, int heads, int kvHeads, int headDim, float scale) {

    public PagedLayout {
        if (layers < 1 || blockSize < 1 || heads < 1 || kvHeads < 1 || headDim < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException(
                    "bad paged layout " + layers + "/" + blockSize + "/" + heads + "/" + kvHeads + "/" + headDim);
        }
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Floats in one block (all layers, keys and values). */
    public long blockFloats() {
        return (long) layers * 2 * blockSize * kvDim();
    }

    /** Floats from a key row to its value row. */
    long valueDelta() {
        return (long) blockSize * kvDim();
    }

    /** Float offset of the key row of {@code position} in sequence {@code seq}, checked against the table. */
    long keyOffset(MemorySegment table, int width, int sequences, int numBlocks, int seq, int position, int layer) {
        if (seq < 0 || seq >= sequences || position < 0 || position / blockSize >= width) {
            throw new RuntimeFailure("paged_attention: sequence " + seq + " position " + position
                    + " is outside the block table [" + sequences + ", " + width + "]");
        }
        int block = table.get(LlmKernels.I32, 4L * ((long) seq * width + position / blockSize));
        if (block < 0 || block >= numBlocks) {
            throw new RuntimeFailure("paged_attention: sequence " + seq + " position " + position + " maps to block "
                    + block + ", the cache has " + numBlocks);
        }
        return block * blockFloats() + ((long) layer * 2 * blockSize + position % blockSize) * kvDim();
    }
}
