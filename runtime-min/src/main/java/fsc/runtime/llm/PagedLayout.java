package fsc.runtime.llm;

import fsc.runtime.ElemType;
import fsc.runtime.RuntimeFailure;
import java.lang.foreign.MemorySegment;

/**
 * Where a key lives in the paged KV cache. A block holds {@code blockSize} consecutive positions of
 * one sequence for every layer: {@code [layer][k|v][slot][kvHeads * headDim]} floats, so a sequence
 * owns whole blocks and returning them frees every layer at once. The elements are {@code kvType}:
 * F32, or F16 for half the memory (offsets below count elements, whatever their size).
 */
public record PagedLayout(
        int layers, int blockSize, int heads, int kvHeads, int headDim, float scale, ElemType kvType) {

    public PagedLayout {
        if (layers < 1 || blockSize < 1 || heads < 1 || kvHeads < 1 || headDim < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException(
                    "bad paged layout " + layers + "/" + blockSize + "/" + heads + "/" + kvHeads + "/" + headDim);
        }
        if (kvType != ElemType.F32 && kvType != ElemType.F16) {
            throw new IllegalArgumentException("a KV cache holds f32 or f16, not " + kvType);
        }
    }

    /** An f32 cache. */
    public PagedLayout(int layers, int blockSize, int heads, int kvHeads, int headDim, float scale) {
        this(layers, blockSize, heads, kvHeads, headDim, scale, ElemType.F32);
    }

    /** Bytes of one cache block. */
    public long blockBytes() {
        return blockFloats() * kvType.byteSize();
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Elements in one block (all layers, keys and values). */
    public long blockFloats() {
        return (long) layers * 2 * blockSize * kvDim();
    }

    /** Elements from a key row to its value row. */
    long valueDelta() {
        return (long) blockSize * kvDim();
    }

    /** Element offset of the key row of {@code position} in sequence {@code seq}, checked against the table. */
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
