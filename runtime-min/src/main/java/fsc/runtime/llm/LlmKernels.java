package fsc.runtime.llm;

import fsc.runtime.ElemType;
import fsc.runtime.Parallelism;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.kernels.Lanes;
import fsc.runtime.kernels.Sgemm;
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
            for (int t = 0; t < rows; t++) {
                task.bind(type, w, x, 4L * t * k, k, y, (long) t * n);
                par.forRange(0, n, ROW_GRAIN, task);
            }
            task.unbind();
            return;
        }
        // Prefill: y^T = W · x^T. The step's activations are packed once into SGEMM column panels
        // (tokens are the columns), then each worker dequantizes a chunk of weight rows, which SGEMM
        // reads in place as A rows (F32 weights are read where they lie), and its [rows of W, tokens]
        // tile is transposed into y. Packing the activations once per matmul, rather than the
        // transposed weight chunk per chunk, took the packing share of a prefill profile from ~22%
        // to ~1%; a step of T tokens costs one weight pass plus T GEMM columns.
        // Native scratch throughout: SGEMM's kernels then see one segment kind, as in every other caller.
        MemorySegment xp = PACKED_X.get().fit(Sgemm.packedBytes(k, rows));
        Sgemm.packB(x, 0L, k, rows, true, xp, 0L);
        par.forRange(0, n, PREFILL_CHUNK, (from, to) -> {
            PrefillScratch s = PREFILL_SCRATCH.get().fit(PREFILL_CHUNK * k, PREFILL_CHUNK * rows);
            for (int j0 = from; j0 < to; j0 += PREFILL_CHUNK) {
                int cn = Math.min(PREFILL_CHUNK, to - j0);
                if (type == GgmlType.F32) {
                    Sgemm.gemmPacked(cn, rows, k, w, j0 * rowBytes, k, xp, 0L, s.tile, 0L, rows, false, SERIAL);
                } else {
                    for (int j = 0; j < cn; j++) {
                        QuantDotRows.dequantize(type, w, (j0 + j) * rowBytes, k, s.rowBuffer, 0);
                        MemorySegment.copy(s.rowBuffer, 0, s.chunk, F32, 4L * j * k, k);
                    }
                    Sgemm.gemmPacked(cn, rows, k, s.chunk, 0L, k, xp, 0L, s.tile, 0L, rows, false, SERIAL);
                }
                for (int t = 0; t < rows; t++) {
                    long yRow = 4L * ((long) t * n + j0);
                    for (int j = 0; j < cn; j++) {
                        y.set(F32, yRow + 4L * j, s.tile.get(F32, 4L * ((long) j * rows + t)));
                    }
                }
            }
        });
    }

    /**
     * Weight rows dequantized per GEMM in prefill: a whole number of SGEMM's 6-row tiles (64 left 4
     * rows to its one-row kernel, 15% of a prefill profile), and 48 rows of the widest matrix (ffn
     * 5632) still fit L2.
     */
    static final int PREFILL_CHUNK = 48;

    /** Each worker runs its GEMMs itself: qmatmul already splits the weight rows across workers. */
    private static final Parallelism SERIAL = Parallelism.of(1);

    /** A native buffer that grows to the largest size asked of it and is then reused. */
    private static final class Buffer {
        private MemorySegment a = MemorySegment.NULL;

        MemorySegment fit(long bytes) {
            if (a.byteSize() < bytes) {
                a = Arena.ofAuto().allocate(bytes, 64);
            }
            return a;
        }
    }

    /**
     * A prefill worker's dequantized weight chunk, its output tile [chunk rows, tokens] and one
     * dequantized row on the heap (where {@link QuantDotRows#dequantize} writes).
     */
    private static final class PrefillScratch {
        private final Buffer chunkBuffer = new Buffer();
        private final Buffer tileBuffer = new Buffer();
        MemorySegment chunk;
        MemorySegment tile;
        float[] rowBuffer = new float[0];

        PrefillScratch fit(int chunkFloats, int tileFloats) {
            chunk = chunkBuffer.fit(4L * chunkFloats);
            tile = tileBuffer.fit(4L * tileFloats);
            if (rowBuffer.length < chunkFloats / PREFILL_CHUNK) {
                rowBuffer = new float[chunkFloats / PREFILL_CHUNK];
            }
            return this;
        }
    }

    private static final ThreadLocal<Buffer> PACKED_X = ThreadLocal.withInitial(Buffer::new);
    private static final ThreadLocal<PrefillScratch> PREFILL_SCRATCH = ThreadLocal.withInitial(PrefillScratch::new);

    /** The decode matmul's loop body: one activation row against a range of weight rows. */
    private static final class MatVecTask implements Parallelism.IntRangeBody {
        private float[] x = new float[0];
        private GgmlType type;
        private MemorySegment w;
        private MemorySegment y;
        private long yOffset;
        private int k;

        /** Copies the activation row at byte {@code xOffset} of {@code xs} to the heap once per matmul. */
        void bind(GgmlType type, MemorySegment w, MemorySegment xs, long xOffset, int k, MemorySegment y, long yRow) {
            if (x.length < k) {
                x = new float[k];
            }
            MemorySegment.copy(xs, F32, xOffset, x, 0, k);
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
            QuantMatVec.rows(type, w, x, k, y, yOffset, from, to);
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
        Q8K xq = Q8K.quantize(x, 0, rows, k);
        if (rows < PREFILL_ROWS) {
            par.forRange(0, n, ROW_GRAIN, (from, to) -> {
                for (int j = from; j < to; j++) {
                    long wOff = j * rowBytes;
                    for (int t = 0; t < rows; t++) {
                        y.set(F32, 4L * ((long) t * n + j), Q8KDot.dot(type, w, wOff, xq, t));
                    }
                }
            });
            return;
        }
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

    /** Row {@code ids[i]} of {@code table} (vocab × dim, any GGUF type), dequantized into {@code y[i]}. */
    public static void embedding(
            GgmlType type, MemorySegment table, int vocab, MemorySegment ids, MemorySegment y, int count, int dim) {
        long rowBytes = type.bytesFor(dim);
        float[] row = new float[dim];
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
        PagedLayout layout = new PagedLayout(layers, blockSize, heads, kvHeads, headDim, scale);
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
        // is read once per group rather than once per query head.
        par.forRange(0, tokens * kvHeads, 1, (from, to) -> {
            AttentionScratch scratch = ATTENTION_SCRATCH.get().forGroup(heads / kvHeads, headDim);
            for (int tg = from; tg < to; tg++) {
                int t = tg / kvHeads;
                attendGroup(
                        q,
                        cache,
                        blockTable,
                        out,
                        layout,
                        layer,
                        t,
                        tg % kvHeads,
                        seqIds.get(I32, 4L * t),
                        positions.get(I32, 4L * t),
                        tableWidth,
                        sequences,
                        numBlocks,
                        scratch);
            }
        });
    }

    /** One thread's attention buffers, grown to the longest sequence it meets and reused. */
    private static final class AttentionScratch {
        float[] scores = new float[0];
        /** Element offset of each position's key row for the task's KV head. */
        long[] keyAt = new long[0];
        /** The group's query rows, then its output rows, on the heap. */
        float[] q = new float[0];

        float[] sums = new float[0];

        AttentionScratch forGroup(int group, int headDim) {
            if (q.length < group * headDim) {
                q = new float[group * headDim];
                sums = new float[group * headDim];
            }
            return this;
        }

        void fit(int group, int len) {
            if (keyAt.length < len) {
                keyAt = new long[Math.max(len, 2 * keyAt.length)];
            }
            if (scores.length < group * keyAt.length) {
                scores = new float[group * keyAt.length];
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
        PagedLayout layout = new PagedLayout(layers, blockSize, heads, kvHeads, headDim, scale, ElemType.F16);
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

    private static void attendGroup(
            MemorySegment q,
            MemorySegment cache,
            MemorySegment blockTable,
            MemorySegment out,
            PagedLayout layout,
            int layer,
            int t,
            int kvh,
            int seq,
            int pos,
            int tableWidth,
            int sequences,
            int numBlocks,
            AttentionScratch scratch) {
        int hd = layout.headDim();
        int group = layout.heads() / layout.kvHeads();
        int len = pos + 1;
        scratch.fit(group, len);
        float[] scores = scratch.scores;
        long[] keyAt = scratch.keyAt;
        // One checked table lookup per block; positions within a block are kvDim apart.
        int block = layout.blockSize();
        for (int j0 = 0; j0 < len; j0 += block) {
            long base =
                    layout.keyOffset(blockTable, tableWidth, sequences, numBlocks, seq, j0, layer) + (long) kvh * hd;
            for (int j = j0, end = Math.min(len, j0 + block); j < end; j++) {
                keyAt[j] = base + (long) (j - j0) * layout.kvDim();
            }
        }
        long qBase = 4L * ((long) t * layout.heads() + (long) kvh * group) * hd;
        float scale = layout.scale();
        // Scores and weighted sums run in this method over the cache segment with precomputed row
        // offsets, head-major (a head's query or output vectors stay in registers while the
        // positions stream by): a call per (position, head) cost more than its arithmetic and made
        // decode at 2,048 positions ~40% slower than at 128. Per element the operations and their
        // order are VectorMath.dot's and axpy's, so the results are unchanged.
        float[] qh = scratch.q;
        MemorySegment.copy(q, F32, qBase, qh, 0, group * hd);
        int vecEnd = ATT.loopBound(hd);
        for (int g = 0; g < group; g++) {
            int qo = g * hd;
            int so = g * len;
            for (int j = 0; j < len; j++) {
                long key = 4L * keyAt[j];
                FloatVector acc = FloatVector.zero(ATT);
                for (int i = 0; i < vecEnd; i += ATT.length()) {
                    acc = FloatVector.fromArray(ATT, qh, qo + i)
                            .fma(FloatVector.fromMemorySegment(ATT, cache, key + 4L * i, ByteOrder.LITTLE_ENDIAN), acc);
                }
                float sc = Lanes.sum(acc);
                for (int i = vecEnd; i < hd; i++) {
                    sc += qh[qo + i] * cache.get(F32, key + 4L * i);
                }
                scores[so + j] = sc * scale;
            }
        }
        for (int g = 0; g < group; g++) {
            float inv = 1f / VectorMath.softmaxNumerators(scores, g * len, len);
            for (int j = 0; j < len; j++) {
                scores[g * len + j] *= inv;
            }
        }
        float[] sums = scratch.sums;
        long valueDelta = 4L * layout.valueDelta();
        for (int g = 0; g < group; g++) {
            int so = g * len;
            for (int i = 0; i < vecEnd; i += ATT.length()) {
                FloatVector acc = FloatVector.zero(ATT);
                for (int j = 0; j < len; j++) {
                    FloatVector v = FloatVector.fromMemorySegment(
                            ATT, cache, 4L * keyAt[j] + valueDelta + 4L * i, ByteOrder.LITTLE_ENDIAN);
                    acc = v.fma(FloatVector.broadcast(ATT, scores[so + j]), acc);
                }
                acc.intoArray(sums, g * hd + i);
            }
            for (int i = vecEnd; i < hd; i++) {
                float acc = 0f;
                for (int j = 0; j < len; j++) {
                    acc = acc + scores[so + j] * cache.get(F32, 4L * keyAt[j] + valueDelta + 4L * i);
                }
                sums[g * hd + i] = acc;
            }
        }
        MemorySegment.copy(sums, 0, out, F32, qBase, group * hd);
    }
}
