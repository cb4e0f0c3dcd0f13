package fsc.runtime.llm;

import static fsc.runtime.llm.LlmKernels.F32;
import static fsc.runtime.llm.LlmKernels.I32;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Paged attention over the {@link KvCache} layout {@code [block][layer][k|v][slot][kv_heads *
 * head_dim]}: the step's keys and values are stored, then every (token, query head) attends
 * causally to its own sequence's positions, for an f32 cache (exact softmax; scores and weighted
 * sums with fixed-order sums, so results do not depend on the thread split; {@link F16KvAttention}
 * is the f16 cache's). Heads of exactly four vectors take the four-heads-per-pass kernels of
 * {@link AttentionTiles}.
 */
final class PagedAttention {
    private static final VectorSpecies<Float> ATT = FloatVector.SPECIES_PREFERRED;

    private PagedAttention() {}

    /**
     * Paged attention for one layer: stores every token's k/v in its sequence's cache slot, then each
     * (token, head) attends causally to positions {@code 0..pos} of its own sequence. Storing comes
     * first so tokens of a prefill see each other; parallel over (token, head) pairs afterwards.
     */
    static void run(
            Parallelism par,
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment cache,
            MemorySegment blockTable,
            MemorySegment seqIds,
            MemorySegment positions,
            MemorySegment out,
            PagedLayout layout,
            int layer,
            int tokens,
            int sequences,
            int tableWidth,
            int numBlocks) {
        int kvd = layout.kvDim();
        for (int t = 0; t < tokens; t++) {
            long slot = layout.keyOffset(
                    blockTable,
                    tableWidth,
                    sequences,
                    numBlocks,
                    seqIds.get(I32, 4L * t),
                    positions.get(I32, 4L * t),
                    layer);
            MemorySegment.copy(k, 4L * t * kvd, cache, 4L * slot, 4L * kvd);
            MemorySegment.copy(v, 4L * t * kvd, cache, 4L * (slot + layout.valueDelta()), 4L * kvd);
        }
        // One task per (token, KV head): the group's query heads share every K/V row, so each row
        // is read once per group rather than once per query head. The body is this thread's
        // reusable task, so a step allocates nothing. Decode (one token) splits the KV heads in one
        // chunk per thread, so each walks the cache once for its heads; a prefill's (token, head)
        // pairs cost more the later the token, so they are claimed in smaller chunks.
        AttentionTask task = ATTENTION
                .get()
                .bind(q, cache, blockTable, out, seqIds, positions, layout, layer, tableWidth, sequences, numBlocks);
        try {
            int units = tokens * layout.kvHeads();
            par.forChunks(0, units, par.chunkFor(units, 1, tokens == 1 ? 1 : 8), task);
        } finally {
            task.unbind();
        }
    }

    /** {@link #run}'s parallel body, its arguments in fields (as QuantMatmul's matvec task: a step allocates nothing). */
    private static final class AttentionTask implements Parallelism.IntRangeBody {
        private MemorySegment q;
        private MemorySegment cache;
        private MemorySegment table;
        private MemorySegment out;
        private MemorySegment seqIds;
        private MemorySegment positions;
        private PagedLayout layout;
        private int layer;
        private int tableWidth;
        private int sequences;
        private int numBlocks;

        AttentionTask bind(
                MemorySegment q,
                MemorySegment cache,
                MemorySegment table,
                MemorySegment out,
                MemorySegment seqIds,
                MemorySegment positions,
                PagedLayout layout,
                int layer,
                int tableWidth,
                int sequences,
                int numBlocks) {
            this.q = q;
            this.cache = cache;
            this.table = table;
            this.out = out;
            this.seqIds = seqIds;
            this.positions = positions;
            this.layout = layout;
            this.layer = layer;
            this.tableWidth = tableWidth;
            this.sequences = sequences;
            this.numBlocks = numBlocks;
            return this;
        }

        void unbind() {
            q = cache = table = out = seqIds = positions = null;
        }

        @Override
        public void run(int from, int to) {
            int kvHeads = layout.kvHeads();
            AttentionScratch scratch = ATTENTION_SCRATCH.get().forHeads(layout.heads(), layout.headDim());
            // A chunk's consecutive KV heads of one token are attended together, block by block,
            // so each cache block's rows are read while they are in cache for all of them.
            for (int tg = from; tg < to; ) {
                int t = tg / kvHeads;
                int kvh0 = tg % kvHeads;
                int kvh1 = Math.min(kvHeads, kvh0 + (to - tg));
                attendHeads(
                        q,
                        cache,
                        table,
                        out,
                        layout,
                        layer,
                        t,
                        kvh0,
                        kvh1,
                        seqIds.get(I32, 4L * t),
                        positions.get(I32, 4L * t),
                        tableWidth,
                        sequences,
                        numBlocks,
                        scratch);
                tg += kvh1 - kvh0;
            }
        }
    }

    private static final ThreadLocal<AttentionTask> ATTENTION = ThreadLocal.withInitial(AttentionTask::new);

    /** One thread's attention buffers, grown to the longest sequence it meets and reused. */
    private static final class AttentionScratch {
        /** {@code scores[h * len + j]}: head h (of the task's heads) at position j. */
        float[] scores = new float[0];
        /** Element offset of each cache block's first key row (KV head 0) for the sequence. */
        long[] blockAt = new long[0];
        /** The task's query rows, on the heap. */
        float[] q = new float[0];
        /** The task's output rows, accumulated block by block. */
        float[] sums = new float[0];
        /** The query, scores and sums again in native memory, where the machine-code tiles run. */
        final NativeAttentionTiles.Buffers nativeBuffers = new NativeAttentionTiles.Buffers();

        AttentionScratch forHeads(int heads, int headDim) {
            if (q.length < heads * headDim) {
                q = new float[heads * headDim];
                sums = new float[heads * headDim];
            }
            return this;
        }

        void fit(int heads, int len, int blocks) {
            if (blockAt.length < blocks) {
                blockAt = new long[Math.max(blocks, 2 * blockAt.length)];
            }
            if (scores.length < heads * len) {
                scores = new float[Math.max(heads * len, 2 * scores.length)];
            }
        }
    }

    private static final ThreadLocal<AttentionScratch> ATTENTION_SCRATCH =
            ThreadLocal.withInitial(AttentionScratch::new);

    /**
     * Attention of token {@code t}'s query heads of KV heads {@code kvh0..kvh1} over positions
     * {@code 0..pos} of its sequence. The cache is walked block by block and, within a block, KV
     * head by KV head: a block's rows for all the task's heads are read together (a task per KV head
     * walked the whole sequence once per KV head, reading 256 of every 1,024 bytes, which left
     * decode at 2,048 positions at ~0.6x of decode at 128). Per (head, position) the score is the
     * same FMAs and fixed-order lane sum, and per output lane the weighted sum adds positions in
     * ascending order from zero (carried across blocks in {@code sums}), so results do not depend on
     * how the heads are split between threads.
     */
    private static void attendHeads(
            MemorySegment q,
            MemorySegment cache,
            MemorySegment blockTable,
            MemorySegment out,
            PagedLayout layout,
            int layer,
            int t,
            int kvh0,
            int kvh1,
            int seq,
            int pos,
            int tableWidth,
            int sequences,
            int numBlocks,
            AttentionScratch scratch) {
        int hd = layout.headDim();
        int group = layout.heads() / layout.kvHeads();
        int heads = (kvh1 - kvh0) * group;
        int len = pos + 1;
        int block = layout.blockSize();
        int blocks = (len + block - 1) / block;
        scratch.fit(heads, len, blocks);
        float[] scores = scratch.scores;
        long[] blockAt = scratch.blockAt;
        for (int b = 0; b < blocks; b++) {
            blockAt[b] = layout.keyOffset(blockTable, tableWidth, sequences, numBlocks, seq, b * block, layer);
        }
        long qBase = 4L * ((long) t * layout.heads() + (long) kvh0 * group) * hd;
        long rowStride = 4L * layout.kvDim();
        float scale = layout.scale();
        float[] qh = scratch.q;
        MemorySegment.copy(q, F32, qBase, qh, 0, heads * hd);
        // Machine code for every head when the group is whole four-head tiles of 64 (same bits).
        NativeAttentionTiles.Buffers nat =
                NativeAttentionTiles.applies(hd, group, cache) ? scratch.nativeBuffers.fit(heads, hd, len) : null;
        if (nat != null) {
            MemorySegment.copy(q, qBase, nat.q, 0, 4L * heads * hd);
        }
        int lanes = ATT.length();
        int vecEnd = ATT.loopBound(hd);
        for (int b = 0; b < blocks; b++) {
            int j0 = b * block;
            int j1 = Math.min(len, j0 + block);
            for (int kh = kvh0; kh < kvh1; kh++) {
                long rows = 4L * (blockAt[b] + (long) kh * hd);
                int g = 0;
                if (hd == 4 * lanes) {
                    // Four heads of the group per pass: each K row is loaded once for all four.
                    for (; g + 4 <= group; g += 4) {
                        int h = (kh - kvh0) * group + g;
                        if (nat != null) {
                            NativeAttentionTiles.scores4x4(
                                    nat, h * hd, cache, rows, rowStride, h * len, len, j0, j1, scale);
                        } else {
                            AttentionTiles.scores4x4(
                                    qh, h * hd, cache, rows, rowStride, scores, h * len, len, j0, j1, scale);
                        }
                    }
                }
                for (; g < group; g++) {
                    int h = (kh - kvh0) * group + g;
                    int qo = h * hd;
                    for (int j = j0; j < j1; j++) {
                        long key = rows + rowStride * (j - j0);
                        FloatVector acc = FloatVector.zero(ATT);
                        for (int i = 0; i < vecEnd; i += lanes) {
                            acc = FloatVector.fromArray(ATT, qh, qo + i)
                                    .fma(
                                            FloatVector.fromMemorySegment(
                                                    ATT, cache, key + 4L * i, ByteOrder.LITTLE_ENDIAN),
                                            acc);
                        }
                        for (int r = lanes / 2; r > 0; r /= 2) { // Lanes' tree, inline: no vector crosses a call
                            acc = acc.add(acc.rearrange(VectorMath.ROTATE[r]));
                        }
                        float sc = acc.lane(0);
                        for (int i = vecEnd; i < hd; i++) {
                            sc += qh[qo + i] * cache.get(F32, key + 4L * i);
                        }
                        scores[h * len + j] = sc * scale;
                    }
                }
            }
        }
        if (nat != null) {
            MemorySegment.copy(nat.scores, F32, 0, scores, 0, heads * len);
        }
        for (int h = 0; h < heads; h++) {
            float inv = 1f / VectorMath.softmaxNumerators(scores, h * len, len);
            for (int j = 0; j < len; j++) {
                scores[h * len + j] *= inv;
            }
        }
        float[] sums = scratch.sums;
        java.util.Arrays.fill(sums, 0, heads * hd, 0f);
        if (nat != null) {
            MemorySegment.copy(scores, 0, nat.scores, F32, 0, heads * len);
            nat.sums.asSlice(0, 4L * heads * hd).fill((byte) 0);
        }
        long valueDelta = 4L * layout.valueDelta();
        for (int b = 0; b < blocks; b++) {
            int j0 = b * block;
            int j1 = Math.min(len, j0 + block);
            for (int kh = kvh0; kh < kvh1; kh++) {
                long rows = 4L * (blockAt[b] + (long) kh * hd) + valueDelta;
                int g = 0;
                if (hd == 4 * lanes) {
                    for (; g + 4 <= group; g += 4) {
                        int h = (kh - kvh0) * group + g;
                        if (nat != null) {
                            NativeAttentionTiles.values4x4(nat, h * len, len, cache, rows, rowStride, h * hd, j0, j1);
                        } else {
                            AttentionTiles.values4x4(
                                    scores, h * len, len, cache, rows, rowStride, sums, h * hd, j0, j1);
                        }
                    }
                }
                for (; g < group; g++) {
                    int h = (kh - kvh0) * group + g;
                    int so = h * len;
                    int o = h * hd;
                    // Four output vectors per pass over the block's positions: independent FMA chains.
                    int i = 0;
                    for (; i + 4 * lanes <= vecEnd; i += 4 * lanes) {
                        FloatVector a0 = FloatVector.fromArray(ATT, sums, o + i);
                        FloatVector a1 = FloatVector.fromArray(ATT, sums, o + i + lanes);
                        FloatVector a2 = FloatVector.fromArray(ATT, sums, o + i + 2 * lanes);
                        FloatVector a3 = FloatVector.fromArray(ATT, sums, o + i + 3 * lanes);
                        for (int j = j0; j < j1; j++) {
                            long row = rows + rowStride * (j - j0) + 4L * i;
                            FloatVector s = FloatVector.broadcast(ATT, scores[so + j]);
                            a0 = FloatVector.fromMemorySegment(ATT, cache, row, ByteOrder.LITTLE_ENDIAN)
                                    .fma(s, a0);
                            a1 = FloatVector.fromMemorySegment(ATT, cache, row + 4L * lanes, ByteOrder.LITTLE_ENDIAN)
                                    .fma(s, a1);
                            a2 = FloatVector.fromMemorySegment(ATT, cache, row + 8L * lanes, ByteOrder.LITTLE_ENDIAN)
                                    .fma(s, a2);
                            a3 = FloatVector.fromMemorySegment(ATT, cache, row + 12L * lanes, ByteOrder.LITTLE_ENDIAN)
                                    .fma(s, a3);
                        }
                        a0.intoArray(sums, o + i);
                        a1.intoArray(sums, o + i + lanes);
                        a2.intoArray(sums, o + i + 2 * lanes);
                        a3.intoArray(sums, o + i + 3 * lanes);
                    }
                    for (; i < vecEnd; i += lanes) {
                        FloatVector acc = FloatVector.fromArray(ATT, sums, o + i);
                        for (int j = j0; j < j1; j++) {
                            long row = rows + rowStride * (j - j0) + 4L * i;
                            acc = FloatVector.fromMemorySegment(ATT, cache, row, ByteOrder.LITTLE_ENDIAN)
                                    .fma(FloatVector.broadcast(ATT, scores[so + j]), acc);
                        }
                        acc.intoArray(sums, o + i);
                    }
                    for (; i < hd; i++) {
                        float acc = sums[o + i];
                        for (int j = j0; j < j1; j++) {
                            acc = acc + scores[so + j] * cache.get(F32, rows + rowStride * (j - j0) + 4L * i);
                        }
                        sums[o + i] = acc;
                    }
                }
            }
        }
        if (nat != null) {
            MemorySegment.copy(nat.sums, 0, out, qBase, 4L * heads * hd);
        } else {
            MemorySegment.copy(sums, 0, out, F32, qBase, heads * hd);
        }
    }
}
