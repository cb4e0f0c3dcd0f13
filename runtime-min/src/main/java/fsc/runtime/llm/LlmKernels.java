package fsc.runtime.llm;

import fsc.runtime.ElemType;
import fsc.runtime.Parallelism;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.kernels.Lanes;
import fsc.runtime.quant.Dequantize;
import fsc.runtime.quant.GgmlType;
import fsc.runtime.quant.Q8K;
import fsc.runtime.quant.Q8KDot;
import fsc.runtime.quant.Q8KUnpackedRow;
import fsc.runtime.quant.QuantDotRows;
import fsc.runtime.quant.QuantMatVec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The decoder kernels generated code calls with constant shapes: {@code qmatmul} and {@code
 * embedding} on weights in their GGUF layout (dot products on the packed blocks, never a dequantized
 * copy of the tensor), {@code rope} in llama.cpp's two pairings, and {@code pagedAttention} over
 * the {@link KvCache} layout {@code [block][layer][k|v][slot][kv_heads * head_dim]}.
 */
public final class LlmKernels {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Weight rows per parallel chunk: enough work per task that scheduling costs nothing. */
    private static final int ROW_GRAIN = 16;

    /**
     * Chunks per thread of a matmul's rows, claimed dynamically ({@link Parallelism#forChunks}): a
     * thread that starts late (woken from park, or its core taken by the JIT) then costs the others a
     * chunk, not half the matmul.
     */
    static final int CHUNKS_PER_THREAD = 4;

    /**
     * From this many tokens in a step, qmatmul on a type without a {@link QuantDotRows} kernel (and
     * {@link #qmatmulQ8K}) unpacks each weight row once and reuses it.
     */
    static final int PREFILL_ROWS = 4;

    /**
     * Below this many tokens a step with a {@link QuantDotRows} kernel keeps the weights packed:
     * unpacking a block once for every token costs less than dequantizing whole rows for SGEMM.
     */
    static final int BATCHED_DECODE_ROWS = Integer.getInteger("fsc.llm.batchedDecodeRows", 24);

    private static final VectorSpecies<Float> ATT = FloatVector.SPECIES_PREFERRED;

    /**
     * {@code ROTATE[h]}: lane i takes lane (i + h) mod length, the steps of {@link Lanes#sum}'s
     * halving tree, for kernels that write the tree inline (same additions in the same order).
     */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] ROTATE = new VectorShuffle[ATT.length() + 1];

    static {
        for (int h = 1; h < ATT.length(); h *= 2) {
            ROTATE[h] = VectorShuffle.iota(ATT, h, 1, true);
        }
    }

    private LlmKernels() {}

    /**
     * {@code y[t, j] = dot(w row j, x row t)} for {@code rows} activations of {@code k} floats and
     * {@code n} weight rows. The loop runs weight row outermost so a row is read from memory once per
     * step, however many tokens the step holds (prefill reuses it from cache).
     */
    public static void qmatmul(
            Parallelism par, GgmlType type, MemorySegment w, MemorySegment x, MemorySegment y, int rows, int k, int n) {
        long rowBytes = type.bytesFor(k);
        if (rows > 1 && rows < BATCHED_DECODE_ROWS && QuantDotRows.supports(type)) {
            // Decode of a batch of sequences: each packed block is unpacked once for all of them.
            par.forRange(0, n, ROW_GRAIN, (from, to) -> {
                float[] out = new float[QuantDotRows.outLength(rows)];
                for (int j = from; j < to; j++) {
                    QuantDotRows.dots(type, w, j * rowBytes, x, 0L, 4L * k, rows, k, out);
                    for (int t = 0; t < rows; t++) {
                        y.set(F32, 4L * ((long) t * n + j), out[t]);
                    }
                }
            });
            return;
        }
        if (rows < PREFILL_ROWS) {
            // Decode: bandwidth-bound, so the dot products read the packed blocks directly, a range
            // of weight rows per worker in one kernel call (QuantMatVec). The body is this thread's
            // reusable task, so a token allocates nothing.
            MatVecTask task = MATVEC.get();
            int chunk = par.chunkFor(n, ROW_GRAIN, CHUNKS_PER_THREAD);
            for (int t = 0; t < rows; t++) {
                task.bind(type, w, x, 4L * t * k, k, y, (long) t * n);
                par.forChunks(0, n, chunk, task);
            }
            task.unbind();
            return;
        }
        // Prefill: a register-blocked GEMM on weight tiles dequantized once each (PrefillGemm).
        PrefillGemm.matmul(par, type, w, x, y, rows, k, n);
    }

    /** The decode matmul's loop body: one activation row against a range of weight rows. */
    private static final class MatVecTask implements Parallelism.IntRangeBody {
        private float[] x = new float[0];
        /**
         * {@link #x}'s values again, in native memory, for the kernels that read the activation
         * through a segment (the K-quants). Not a view of the float[]: C2 does not intrinsify
         * {@code FloatVector.fromMemorySegment} on a heap segment over a float[], so every load ran
         * the Vector API's Java fallback (JFR: 53% of a Q4_K_M decode step in
         * {@code loadFromMemorySegmentScopedInternal}).
         */
        private MemorySegment xView = MemorySegment.NULL;

        private GgmlType type;
        private MemorySegment w;
        private MemorySegment y;
        private long yOffset;
        private int k;

        /** Copies the activation row at byte {@code xOffset} of {@code xs} to the heap once per matmul. */
        void bind(GgmlType type, MemorySegment w, MemorySegment xs, long xOffset, int k, MemorySegment y, long yRow) {
            if (x.length < k) {
                x = new float[k];
                xView = Arena.ofAuto().allocate(4L * k, 64);
            }
            MemorySegment.copy(xs, F32, xOffset, x, 0, k);
            MemorySegment.copy(xs, xOffset, xView, 0, 4L * k);
            this.type = type;
            this.w = w;
            this.k = k;
            this.y = y;
            this.yOffset = 4L * yRow;
        }

        /** Drops the segments so a finished step's arena is not kept reachable. */
        void unbind() {
            w = null;
            y = null;
        }

        @Override
        public void run(int from, int to) {
            QuantMatVec.rows(type, w, x, xView, k, y, yOffset, from, to);
        }
    }

    private static final ThreadLocal<MatVecTask> MATVEC = ThreadLocal.withInitial(MatVecTask::new);

    /**
     * {@link #qmatmul} as llama.cpp's CPU backend computes it for K-quant weights: each of the {@code
     * rows} activation rows is quantized to {@link Q8K} once, then every weight row is dotted with
     * it in integers ({@link Q8KDot}; from {@link #PREFILL_ROWS} rows, on a weight row unpacked once,
     * {@link Q8KUnpackedRow}). Used by the llama.cpp numerics mode.
     */
    public static void qmatmulQ8K(
            Parallelism par, GgmlType type, MemorySegment w, MemorySegment x, MemorySegment y, int rows, int k, int n) {
        if (!Q8KDot.pairsWith(type)) {
            throw new RuntimeFailure("qmatmul: Q8_K activations need K-quant weights, this one is " + type);
        }
        long rowBytes = type.bytesFor(k);
        if (rows < PREFILL_ROWS) {
            // Decode: this thread's quantized row of this width and its reusable task, so a token
            // allocates nothing.
            Q8KTask task = Q8K_TASK.get();
            task.bind(type, w, Q8K.quantize(x, 0, rows, k, task.reusable(rows, k)), y, rows, n);
            try {
                par.forChunks(0, n, par.chunkFor(n, ROW_GRAIN, CHUNKS_PER_THREAD), task);
            } finally {
                task.unbind();
            }
            return;
        }
        Q8K xq = Q8K.quantize(x, 0, rows, k);
        // Prefill: unpack each weight row to int8 quants and per-16 scales once, for every token.
        par.forRange(0, n, ROW_GRAIN, (from, to) -> {
            Q8KUnpackedRow row = new Q8KUnpackedRow(k);
            for (int j = from; j < to; j++) {
                row.unpack(type, w, j * rowBytes);
                for (int t = 0; t < rows; t++) {
                    y.set(F32, 4L * ((long) t * n + j), row.dot(xq, t));
                }
            }
        });
    }

    private static final ThreadLocal<float[]> EMBEDDING_ROW = ThreadLocal.withInitial(() -> new float[0]);

    /** {@link #qmatmulQ8K}'s decode body, with the quantized activations of each width it has seen. */
    private static final class Q8KTask implements Parallelism.IntRangeBody {
        /** One per activation shape (a layer's widths: dim and ffn), reused call after call. */
        private final java.util.ArrayList<Q8K> quantized = new java.util.ArrayList<>();

        private GgmlType type;
        private MemorySegment w;
        private Q8K xq;
        private MemorySegment y;
        private long rowBytes;
        private int rows;
        private int n;

        Q8K reusable(int rows, int k) {
            for (int i = 0; i < quantized.size(); i++) {
                Q8K q = quantized.get(i);
                if (q.k() == k && q.rows() == rows) {
                    return q;
                }
            }
            return null;
        }

        void bind(GgmlType type, MemorySegment w, Q8K xq, MemorySegment y, int rows, int n) {
            if (reusable(rows, xq.k()) != xq) {
                quantized.add(xq);
            }
            this.type = type;
            this.w = w;
            this.xq = xq;
            this.y = y;
            this.rowBytes = type.bytesFor(xq.k());
            this.rows = rows;
            this.n = n;
        }

        void unbind() {
            w = null;
            y = null;
        }

        @Override
        public void run(int from, int to) {
            for (int j = from; j < to; j++) {
                long wOff = j * rowBytes;
                for (int t = 0; t < rows; t++) {
                    y.set(F32, 4L * ((long) t * n + j), Q8KDot.dot(type, w, wOff, xq, t));
                }
            }
        }
    }

    private static final ThreadLocal<Q8KTask> Q8K_TASK = ThreadLocal.withInitial(Q8KTask::new);

    /** Row {@code ids[i]} of {@code table} (vocab × dim, any GGUF type), dequantized into {@code y[i]}. */
    public static void embedding(
            GgmlType type, MemorySegment table, int vocab, MemorySegment ids, MemorySegment y, int count, int dim) {
        long rowBytes = type.bytesFor(dim);
        float[] row = EMBEDDING_ROW.get();
        if (row.length < dim) {
            row = new float[dim];
            EMBEDDING_ROW.set(row);
        }
        for (int i = 0; i < count; i++) {
            int id = ids.get(I32, 4L * i);
            if (id < 0 || id >= vocab) {
                throw new RuntimeFailure("embedding: token id " + id + " is outside the vocabulary of " + vocab);
            }
            Dequantize.row(type, table, id * rowBytes, row, 0, dim);
            MemorySegment.copy(row, 0, y, F32, 4L * i * dim, dim);
        }
    }

    /**
     * Rotary embedding of {@code x} into {@code y}, for {@code x [batch, seq, heads * headDim]}
     * ({@code headsMajor} false) or {@code [batch, heads, seq, headDim]} (true). Within each head the
     * first {@code rotary} features rotate in pairs {@code (2i, 2i+1)} when {@code interleaved}
     * (llama.cpp's "normal" mode, LLaMA) or {@code (i, i + rotary/2)} (NeoX mode: Qwen2, Gemma) by the
     * angle in row {@code positions[b, s]} of the {@code cos}/{@code sin} tables {@code [P,
     * rotary/2]}; without positions ({@code positions == null}) the tables are {@code [batch, seq,
     * rotary/2]}. Positions are i32, or i64 when {@code longPositions}.
     */
    public static void rope(
            MemorySegment x,
            MemorySegment cos,
            MemorySegment sin,
            int tableRows,
            MemorySegment positions,
            boolean longPositions,
            MemorySegment y,
            int batch,
            int seq,
            int heads,
            int headDim,
            int rotary,
            boolean headsMajor,
            boolean interleaved) {
        if (!x.equals(y)) {
            MemorySegment.copy(x, 0, y, 0, 4L * batch * seq * heads * headDim);
        }
        int half = rotary / 2;
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < seq; s++) {
                long token = (long) b * seq + s;
                long row = positions == null
                        ? token
                        : longPositions ? positions.get(I64, 8L * token) : positions.get(I32, 4L * token);
                if (row < 0 || row >= tableRows) {
                    throw new RuntimeFailure("rope: position " + row + " is outside the " + tableRows
                            + " rows of the cos/sin tables (the compiled context)");
                }
                for (int h = 0; h < heads; h++) {
                    long base =
                            headsMajor ? (((long) b * heads + h) * seq + s) * headDim : (token * heads + h) * headDim;
                    rotate(y, base, cos, sin, row * half, half, interleaved);
                }
            }
        }
    }

    private static void rotate(
            MemorySegment y,
            long base,
            MemorySegment cos,
            MemorySegment sin,
            long tableOff,
            int half,
            boolean interleaved) {
        for (int i = 0; i < half; i++) {
            long i1 = 4L * (base + (interleaved ? 2 * i : i));
            long i2 = 4L * (base + (interleaved ? 2 * i + 1 : i + half));
            float c = cos.get(F32, 4L * (tableOff + i));
            float s = sin.get(F32, 4L * (tableOff + i));
            float x1 = y.get(F32, i1);
            float x2 = y.get(F32, i2);
            y.set(F32, i1, x1 * c - x2 * s);
            y.set(F32, i2, x1 * s + x2 * c);
        }
    }

    /**
     * Paged attention for one layer: stores every token's k/v in its sequence's cache slot, then each
     * (token, head) attends causally to positions {@code 0..pos} of its own sequence. Storing comes
     * first so tokens of a prefill see each other; parallel over (token, head) pairs afterwards.
     */
    public static void pagedAttention(
            Parallelism par,
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment cache,
            MemorySegment blockTable,
            MemorySegment seqIds,
            MemorySegment positions,
            MemorySegment out,
            int layers,
            int blockSize,
            int heads,
            int kvHeads,
            int headDim,
            float scale,
            int layer,
            int tokens,
            int sequences,
            int tableWidth,
            int numBlocks) {
        PagedLayout layout = LAYOUTS.get().of(layers, blockSize, heads, kvHeads, headDim, scale, ElemType.F32);
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
            int units = tokens * kvHeads;
            par.forChunks(0, units, par.chunkFor(units, 1, tokens == 1 ? 1 : 8), task);
        } finally {
            task.unbind();
        }
    }

    /** The last layout a thread's attention calls used: generated code passes the same shape every call. */
    private static final class LayoutCache {
        private PagedLayout last;

        PagedLayout of(int layers, int blockSize, int heads, int kvHeads, int headDim, float scale, ElemType type) {
            PagedLayout l = last;
            if (l == null
                    || l.layers() != layers
                    || l.blockSize() != blockSize
                    || l.heads() != heads
                    || l.kvHeads() != kvHeads
                    || l.headDim() != headDim
                    || Float.floatToRawIntBits(l.scale()) != Float.floatToRawIntBits(scale)
                    || l.kvType() != type) {
                l = new PagedLayout(layers, blockSize, heads, kvHeads, headDim, scale, type);
                last = l;
            }
            return l;
        }
    }

    private static final ThreadLocal<LayoutCache> LAYOUTS = ThreadLocal.withInitial(LayoutCache::new);

    /** {@link #pagedAttention}'s parallel body, its arguments in fields (see {@link MatVecTask}). */
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
     * {@link #pagedAttention} over an f16 cache ({@link F16KvAttention}): exact softmax, or llama.cpp's
     * f16 flash attention when {@code llamaCppFlash}.
     */
    public static void pagedAttentionF16(
            Parallelism par,
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment cache,
            MemorySegment blockTable,
            MemorySegment seqIds,
            MemorySegment positions,
            MemorySegment out,
            int layers,
            int blockSize,
            int heads,
            int kvHeads,
            int headDim,
            float scale,
            int layer,
            int tokens,
            int sequences,
            int tableWidth,
            int numBlocks,
            boolean llamaCppFlash) {
        PagedLayout layout = LAYOUTS.get().of(layers, blockSize, heads, kvHeads, headDim, scale, ElemType.F16);
        F16KvAttention.run(
                par,
                q,
                k,
                v,
                cache,
                blockTable,
                seqIds,
                positions,
                out,
                layout,
                layer,
                tokens,
                sequences,
                tableWidth,
                numBlocks,
                llamaCppFlash);
    }

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
                        scores4x4(qh, h * hd, cache, rows, rowStride, scores, h * len, len, j0, j1, scale);
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
                        for (int r = lanes / 2; r > 0; r /= 2) { // Lanes.sum, inline (see ROTATE)
                            acc = acc.add(acc.rearrange(ROTATE[r]));
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
        for (int h = 0; h < heads; h++) {
            float inv = 1f / VectorMath.softmaxNumerators(scores, h * len, len);
            for (int j = 0; j < len; j++) {
                scores[h * len + j] *= inv;
            }
        }
        float[] sums = scratch.sums;
        java.util.Arrays.fill(sums, 0, heads * hd, 0f);
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
                        values4x4(scores, h * len, len, cache, rows, rowStride, sums, h * hd, j0, j1);
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
        MemorySegment.copy(sums, 0, out, F32, qBase, heads * hd);
    }

    /**
     * {@link #attendHeads}' scores of four heads of a group over positions {@code j0..j1} of one
     * block, when a head is exactly four vectors (head 64 on AVX-512). Each K row is loaded once for
     * the four heads, whose sixteen query vectors stay in registers, and there is no inner loop over
     * the head's vectors. The generic loop (a trip count C2 does not know, and a bounds-checked
     * segment load per head and vector, its row stride not a constant so the checks stay in the
     * loop) cost ~50 cycles per (head, position): most of a decode step's attention at 2,048
     * positions. Per head the FMAs and the lane sum are the generic loop's, in its order, so the
     * scores are bit-identical.
     */
    private static void scores4x4(
            float[] qh,
            int qo,
            MemorySegment cache,
            long rows,
            long rowStride,
            float[] scores,
            int so,
            int len,
            int j0,
            int j1,
            float scale) {
        int lanes = ATT.length();
        int hd = 4 * lanes;
        FloatVector q00 = FloatVector.fromArray(ATT, qh, qo);
        FloatVector q01 = FloatVector.fromArray(ATT, qh, qo + lanes);
        FloatVector q02 = FloatVector.fromArray(ATT, qh, qo + 2 * lanes);
        FloatVector q03 = FloatVector.fromArray(ATT, qh, qo + 3 * lanes);
        FloatVector q10 = FloatVector.fromArray(ATT, qh, qo + hd);
        FloatVector q11 = FloatVector.fromArray(ATT, qh, qo + hd + lanes);
        FloatVector q12 = FloatVector.fromArray(ATT, qh, qo + hd + 2 * lanes);
        FloatVector q13 = FloatVector.fromArray(ATT, qh, qo + hd + 3 * lanes);
        FloatVector q20 = FloatVector.fromArray(ATT, qh, qo + 2 * hd);
        FloatVector q21 = FloatVector.fromArray(ATT, qh, qo + 2 * hd + lanes);
        FloatVector q22 = FloatVector.fromArray(ATT, qh, qo + 2 * hd + 2 * lanes);
        FloatVector q23 = FloatVector.fromArray(ATT, qh, qo + 2 * hd + 3 * lanes);
        FloatVector q30 = FloatVector.fromArray(ATT, qh, qo + 3 * hd);
        FloatVector q31 = FloatVector.fromArray(ATT, qh, qo + 3 * hd + lanes);
        FloatVector q32 = FloatVector.fromArray(ATT, qh, qo + 3 * hd + 2 * lanes);
        FloatVector q33 = FloatVector.fromArray(ATT, qh, qo + 3 * hd + 3 * lanes);
        long step = 4L * lanes;
        FloatVector zero = FloatVector.zero(ATT);
        for (int j = j0; j < j1; j++) {
            long key = rows + rowStride * (j - j0);
            FloatVector k0 = FloatVector.fromMemorySegment(ATT, cache, key, ByteOrder.LITTLE_ENDIAN);
            FloatVector k1 = FloatVector.fromMemorySegment(ATT, cache, key + step, ByteOrder.LITTLE_ENDIAN);
            FloatVector k2 = FloatVector.fromMemorySegment(ATT, cache, key + 2 * step, ByteOrder.LITTLE_ENDIAN);
            FloatVector k3 = FloatVector.fromMemorySegment(ATT, cache, key + 3 * step, ByteOrder.LITTLE_ENDIAN);
            FloatVector a0 = q03.fma(k3, q02.fma(k2, q01.fma(k1, q00.fma(k0, zero))));
            FloatVector a1 = q13.fma(k3, q12.fma(k2, q11.fma(k1, q10.fma(k0, zero))));
            FloatVector a2 = q23.fma(k3, q22.fma(k2, q21.fma(k1, q20.fma(k0, zero))));
            FloatVector a3 = q33.fma(k3, q32.fma(k2, q31.fma(k1, q30.fma(k0, zero))));
            // Lanes.sum's halving tree, written out: with four of them C2 stops inlining the call
            // (NodeCountInliningCutoff) and boxes the vectors it passes, an allocation per score.
            for (int h = lanes / 2; h > 0; h /= 2) {
                a0 = a0.add(a0.rearrange(ROTATE[h]));
                a1 = a1.add(a1.rearrange(ROTATE[h]));
                a2 = a2.add(a2.rearrange(ROTATE[h]));
                a3 = a3.add(a3.rearrange(ROTATE[h]));
            }
            scores[so + j] = a0.lane(0) * scale;
            scores[so + len + j] = a1.lane(0) * scale;
            scores[so + 2 * len + j] = a2.lane(0) * scale;
            scores[so + 3 * len + j] = a3.lane(0) * scale;
        }
    }

    /**
     * {@link #attendHeads}' weighted sums of four heads of a group over positions {@code j0..j1}
     * of one block (head of four vectors): each V row is loaded once for the four heads, whose
     * sixteen output vectors stay in registers across the block. Per output lane the positions
     * are added in ascending order onto the sums of the earlier blocks, as in the generic loop, so
     * the outputs are bit-identical.
     */
    private static void values4x4(
            float[] scores,
            int so,
            int len,
            MemorySegment cache,
            long rows,
            long rowStride,
            float[] sums,
            int o,
            int j0,
            int j1) {
        int lanes = ATT.length();
        int hd = 4 * lanes;
        FloatVector a00 = FloatVector.fromArray(ATT, sums, o);
        FloatVector a01 = FloatVector.fromArray(ATT, sums, o + lanes);
        FloatVector a02 = FloatVector.fromArray(ATT, sums, o + 2 * lanes);
        FloatVector a03 = FloatVector.fromArray(ATT, sums, o + 3 * lanes);
        FloatVector a10 = FloatVector.fromArray(ATT, sums, o + hd);
        FloatVector a11 = FloatVector.fromArray(ATT, sums, o + hd + lanes);
        FloatVector a12 = FloatVector.fromArray(ATT, sums, o + hd + 2 * lanes);
        FloatVector a13 = FloatVector.fromArray(ATT, sums, o + hd + 3 * lanes);
        FloatVector a20 = FloatVector.fromArray(ATT, sums, o + 2 * hd);
        FloatVector a21 = FloatVector.fromArray(ATT, sums, o + 2 * hd + lanes);
        FloatVector a22 = FloatVector.fromArray(ATT, sums, o + 2 * hd + 2 * lanes);
        FloatVector a23 = FloatVector.fromArray(ATT, sums, o + 2 * hd + 3 * lanes);
        FloatVector a30 = FloatVector.fromArray(ATT, sums, o + 3 * hd);
        FloatVector a31 = FloatVector.fromArray(ATT, sums, o + 3 * hd + lanes);
        FloatVector a32 = FloatVector.fromArray(ATT, sums, o + 3 * hd + 2 * lanes);
        FloatVector a33 = FloatVector.fromArray(ATT, sums, o + 3 * hd + 3 * lanes);
        long step = 4L * lanes;
        for (int j = j0; j < j1; j++) {
            long row = rows + rowStride * (j - j0);
            FloatVector v0 = FloatVector.fromMemorySegment(ATT, cache, row, ByteOrder.LITTLE_ENDIAN);
            FloatVector v1 = FloatVector.fromMemorySegment(ATT, cache, row + step, ByteOrder.LITTLE_ENDIAN);
            FloatVector v2 = FloatVector.fromMemorySegment(ATT, cache, row + 2 * step, ByteOrder.LITTLE_ENDIAN);
            FloatVector v3 = FloatVector.fromMemorySegment(ATT, cache, row + 3 * step, ByteOrder.LITTLE_ENDIAN);
            FloatVector s = FloatVector.broadcast(ATT, scores[so + j]);
            a00 = v0.fma(s, a00);
            a01 = v1.fma(s, a01);
            a02 = v2.fma(s, a02);
            a03 = v3.fma(s, a03);
            s = FloatVector.broadcast(ATT, scores[so + len + j]);
            a10 = v0.fma(s, a10);
            a11 = v1.fma(s, a11);
            a12 = v2.fma(s, a12);
            a13 = v3.fma(s, a13);
            s = FloatVector.broadcast(ATT, scores[so + 2 * len + j]);
            a20 = v0.fma(s, a20);
            a21 = v1.fma(s, a21);
            a22 = v2.fma(s, a22);
            a23 = v3.fma(s, a23);
            s = FloatVector.broadcast(ATT, scores[so + 3 * len + j]);
            a30 = v0.fma(s, a30);
            a31 = v1.fma(s, a31);
            a32 = v2.fma(s, a32);
            a33 = v3.fma(s, a33);
        }
        a00.intoArray(sums, o);
        a01.intoArray(sums, o + lanes);
        a02.intoArray(sums, o + 2 * lanes);
        a03.intoArray(sums, o + 3 * lanes);
        a10.intoArray(sums, o + hd);
        a11.intoArray(sums, o + hd + lanes);
        a12.intoArray(sums, o + hd + 2 * lanes);
        a13.intoArray(sums, o + hd + 3 * lanes);
        a20.intoArray(sums, o + 2 * hd);
        a21.intoArray(sums, o + 2 * hd + lanes);
        a22.intoArray(sums, o + 2 * hd + 2 * lanes);
        a23.intoArray(sums, o + 2 * hd + 3 * lanes);
        a30.intoArray(sums, o + 3 * hd);
        a31.intoArray(sums, o + 3 * hd + lanes);
        a32.intoArray(sums, o + 3 * hd + 2 * lanes);
        a33.intoArray(sums, o + 3 * hd + 3 * lanes);
    }
}
