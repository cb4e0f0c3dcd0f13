package fsc.runtime.llm;

import fsc.runtime.ElemType;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The paged KV cache (vLLM's PagedAttention scheme): one native allocation of {@code numBlocks}
 * fixed-size blocks, a free list, and per sequence a block table mapping position {@code p} to block
 * {@code table[p / blockSize]}. Blocks are taken only when a sequence reaches a new block and all
 * return to the free list when it ends, so memory grows with the tokens actually held, never with
 * the longest context a sequence might reach. Not thread-safe: one generation loop drives it.
 */
public final class KvCache implements AutoCloseable {
    private final PagedLayout layout;
    private final int numBlocks;
    private final int maxSequences;
    private final int blocksPerSequence;
    private final int maxContext;
    private final Arena arena = Arena.ofShared();
    private final Tensor cache;
    private final Tensor table;
    private final int[] free;
    private int freeCount;
    private final int[] length;
    private final int[] held;
    private int peakUsed;

    /**
     * @param numBlocks blocks in the pool (the memory budget)
     * @param maxSequences rows of the block table
     * @param maxContext positions one sequence may hold; the table has {@code ceil(maxContext / blockSize)} columns
     */
    public KvCache(PagedLayout layout, int numBlocks, int maxSequences, int maxContext) {
        if (numBlocks < 1 || maxSequences < 1 || maxContext < 1) {
            throw new RuntimeFailure("KV cache needs at least one block, sequence and position, got " + numBlocks + ", "
                    + maxSequences + ", " + maxContext);
        }
        this.layout = layout;
        this.numBlocks = numBlocks;
        this.maxSequences = maxSequences;
        this.blocksPerSequence = (maxContext + layout.blockSize() - 1) / layout.blockSize();
        this.maxContext = maxContext;
        this.cache = Tensor.allocate(layout.kvType(), new long[] {numBlocks, layout.blockFloats()}, arena);
        this.table = Tensor.allocate(ElemType.I32, new long[] {maxSequences, blocksPerSequence}, arena);
        table.data().fill((byte) 0xFF); // -1: no block, so a stray read fails loudly instead of reading block 0
        this.free = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) {
            free[i] = numBlocks - 1 - i; // pop from the end: block 0 first
        }
        this.freeCount = numBlocks;
        this.length = new int[maxSequences];
        this.held = new int[maxSequences];
    }

    /** Blocks that fit in {@code bytes} for {@code layout} (at least one). */
    public static int blocksFor(long bytes, PagedLayout layout) {
        long perBlock = layout.blockBytes();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, bytes / perBlock));
    }

    public PagedLayout layout() {
        return layout;
    }

    /** The cache memory, {@code f32|f16[numBlocks, blockFloats]}: the decoder graph's {@code kv_cache} input. */
    public Tensor cacheTensor() {
        return cache;
    }

    /** {@code i32[maxSequences, blocksPerSequence]}: the decoder graph's {@code block_table} input. */
    public Tensor blockTable() {
        return table;
    }

    /** Positions sequence {@code seq} holds. */
    public int length(int seq) {
        checkSeq(seq);
        return length[seq];
    }

    /**
     * The most positions one sequence can hold: the context asked for, not rounded up to whole
     * blocks, since the decoder's position tables (rope, an ONNX export's position embedding) end there.
     */
    public int maxContext() {
        return maxContext;
    }

    /**
     * Makes room for {@code count} more positions of {@code seq} (taking blocks from the free list as
     * needed) and returns the first new position. Fails, leaving the sequence as it was, when the
     * context or the pool is exhausted.
     */
    public int append(int seq, int count) {
        checkSeq(seq);
        int start = length[seq];
        int end = start + count;
        if (end > maxContext()) {
            throw new RuntimeFailure("sequence " + seq + " would reach " + end + " tokens; the context holds "
                    + maxContext() + " (raise --max-context)");
        }
        int need = (end + layout.blockSize() - 1) / layout.blockSize() - held[seq];
        if (need > freeCount) {
            throw new RuntimeFailure("KV cache is full: sequence " + seq + " needs " + need + " more blocks, "
                    + freeCount + " of " + numBlocks + " are free (raise --kv-memory)");
        }
        for (int i = 0; i < need; i++) {
            int block = free[--freeCount];
            table.data().set(LlmKernels.I32, 4L * ((long) seq * blocksPerSequence + held[seq]), block);
            held[seq]++;
        }
        length[seq] = end;
        peakUsed = Math.max(peakUsed, usedBlocks());
        return start;
    }

    /**
     * Keeps the first {@code keep} positions of {@code seq} and drops the rest: blocks past the last
     * kept position go back to the free list. Speculative decoding uses it to discard the draft
     * tokens the target rejected; the dropped positions' K/V stay in memory but no query reads them,
     * since attention reads positions below the query's own, and the next append overwrites them.
     */
    public void truncate(int seq, int keep) {
        checkSeq(seq);
        if (keep < 0 || keep > length[seq]) {
            throw new IllegalArgumentException(
                    "sequence " + seq + " holds " + length[seq] + " positions, cannot keep " + keep);
        }
        int blocks = (keep + layout.blockSize() - 1) / layout.blockSize();
        while (held[seq] > blocks) {
            held[seq]--;
            long at = 4L * ((long) seq * blocksPerSequence + held[seq]);
            free[freeCount++] = table.data().get(LlmKernels.I32, at);
            table.data().set(LlmKernels.I32, at, -1);
        }
        length[seq] = keep;
    }

    /** Ends {@code seq}: its blocks go back to the free list and its table row is cleared. */
    public void release(int seq) {
        checkSeq(seq);
        MemorySegment row = table.data().asSlice(4L * seq * blocksPerSequence, 4L * blocksPerSequence);
        for (int i = 0; i < held[seq]; i++) {
            free[freeCount++] = row.get(LlmKernels.I32, 4L * i);
        }
        row.fill((byte) 0xFF);
        held[seq] = 0;
        length[seq] = 0;
    }

    public int usedBlocks() {
        return numBlocks - freeCount;
    }

    public int peakUsedBlocks() {
        return peakUsed;
    }

    public int numBlocks() {
        return numBlocks;
    }

    public int maxSequences() {
        return maxSequences;
    }

    /** Blocks currently held by {@code seq}, in position order. */
    public int[] blocksOf(int seq) {
        checkSeq(seq);
        int[] b = new int[held[seq]];
        for (int i = 0; i < b.length; i++) {
            b[i] = table.data().get(LlmKernels.I32, 4L * ((long) seq * blocksPerSequence + i));
        }
        return b;
    }

    public long bytes() {
        return cache.data().byteSize();
    }

    private void checkSeq(int seq) {
        if (seq < 0 || seq >= maxSequences) {
            throw new IllegalArgumentException("sequence " + seq + " is outside 0.." + (maxSequences - 1));
        }
    }

    @Override
    public String toString() {
        return "KvCache[" + usedBlocks() + "/" + numBlocks + " blocks of " + layout.blockSize() + " positions, "
                + Arrays.toString(Arrays.copyOf(length, Math.min(length.length, 8))) + "]";
    }

    @Override
    public void close() {
        arena.close();
    }
}
