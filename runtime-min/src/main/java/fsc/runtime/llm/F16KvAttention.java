package fsc.runtime.llm;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Paged attention over a KV cache held in f16 ({@link PagedLayout#kvType()} F16): half the memory
 * of an f32 cache, the layout otherwise the same. Keys and values are rounded to f16 when stored
 * and widened to f32 rows when read, once per (position, KV head) for the whole query group.
 *
 * <p>Two ways to attend, chosen at compile time:
 *
 * <ul>
 *   <li>exact ({@code llamaCppFlash} false): f32 scores, a full softmax, f32 output sums, as the f32
 *       cache path does; only the cached values are rounded.
 *   <li>llama.cpp's CPU flash attention ({@code ggml_compute_forward_flash_attn_ext_f16}, true), for
 *       the llama.cpp numerics mode: the query is rounded to f16 (the K row's dot type), scores are
 *       f32, the softmax is online (running max {@code M} and sum {@code S}), and the output is an
 *       f16 vector: {@code ggml_vec_scale_f16} by {@code exp(M_old - M)} whenever the max grows,
 *       {@code ggml_vec_mad_f16} of each V row (a fused multiply-add in f32, rounded to f16, as its
 *       F16C code does), divided by {@code S} at the end. Those f16 roundings move logits of a
 *       sensitive model by tenths, so llama.cpp's logits are only reproduced with them.
 * </ul>
 */
final class F16KvAttention {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private F16KvAttention() {}

    /**
     * Stores the step's k/v rows (rounded to f16), then attends every (token, KV head) pair in
     * parallel; {@code tiles} false keeps the flash mode on the scalar emulation even where {@link
     * F16FlashTiles} applies (the tests' reference).
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
            int numBlocks,
            boolean llamaCppFlash,
            boolean tiles) {
        int kvd = layout.kvDim();
        for (int t = 0; t < tokens; t++) {
            long slot = layout.keyOffset(
                    blockTable,
                    tableWidth,
                    sequences,
                    numBlocks,
                    seqIds.get(LlmKernels.I32, 4L * t),
                    positions.get(LlmKernels.I32, 4L * t),
                    layer);
            for (int i = 0; i < kvd; i++) {
                long src = 4L * ((long) t * kvd + i);
                cache.set(F16, 2 * (slot + i), Float.floatToFloat16(k.get(LlmKernels.F32, src)));
                cache.set(F16, 2 * (slot + layout.valueDelta() + i), Float.floatToFloat16(v.get(LlmKernels.F32, src)));
            }
        }
        Task task = TASK.get()
                .bind(
                        q,
                        cache,
                        blockTable,
                        out,
                        seqIds,
                        positions,
                        layout,
                        layer,
                        tableWidth,
                        sequences,
                        numBlocks,
                        mode(layout, cache, llamaCppFlash, tiles));
        try {
            par.forRange(0, tokens * layout.kvHeads(), 1, task);
        } finally {
            task.unbind();
        }
    }

    private static int mode(PagedLayout layout, MemorySegment cache, boolean llamaCppFlash, boolean tiles) {
        if (!llamaCppFlash) {
            return EXACT;
        }
        boolean fits = tiles && F16FlashTiles.applies(layout.headDim(), layout.heads() / layout.kvHeads(), cache);
        return fits ? FLASH_TILES : FLASH_SCALAR;
    }

    /**
     * The parallel body of one attention call: its arguments in fields, reused by every call from
     * this thread (a capturing lambda and a {@link Group} per call were most of a decode step's
     * garbage); each worker's {@link Group} is its own, kept while the layout stays the same.
     */
    private static final class Task implements Parallelism.IntRangeBody {
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
        private int mode;

        Task bind(
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
                int numBlocks,
                int mode) {
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
            this.mode = mode;
            return this;
        }

        /** Drops the segments so a finished model's memory is not kept reachable by this thread. */
        void unbind() {
            q = cache = table = out = seqIds = positions = null;
        }

        @Override
        public void run(int from, int to) {
            Group g = GROUP.get();
            if (g == null || !g.layout.equals(layout)) {
                g = new Group(layout);
                GROUP.set(g);
            }
            for (int tg = from; tg < to; tg++) {
                int t = tg / layout.kvHeads();
                // A token's KV heads share its position table: made at the first of them in this range.
                boolean sameRows = tg > from && (tg - 1) / layout.kvHeads() == t;
                g.attend(
                        q,
                        cache,
                        table,
                        out,
                        layer,
                        t,
                        tg % layout.kvHeads(),
                        seqIds.get(LlmKernels.I32, 4L * t),
                        positions.get(LlmKernels.I32, 4L * t),
                        tableWidth,
                        sequences,
                        numBlocks,
                        mode,
                        sameRows);
            }
        }
    }

    /** How a task attends: f32 softmax, llama.cpp's flash emulation in scalar Java, or its machine-code tiles. */
    private static final int EXACT = 0, FLASH_SCALAR = 1, FLASH_TILES = 2;

    private static final ThreadLocal<Task> TASK = ThreadLocal.withInitial(Task::new);
    private static final ThreadLocal<Group> GROUP = new ThreadLocal<>();

    /** Scratch of one task: the group's queries and outputs, one K and one V row, the scores. */
    private static final class Group {
        private final PagedLayout layout;
        private final int hd;
        private final int group;
        private final float[] qs;
        private final float[] acc;
        private final float[] key;
        private final float[] value;
        private final float[] max;
        private final float[] sum;
        private float[] scores = new float[0];
        /** The flash tiles' buffers, made on first use. */
        private F16FlashTiles.Scratch flash;

        Group(PagedLayout layout) {
            this.layout = layout;
            this.hd = layout.headDim();
            this.group = layout.heads() / layout.kvHeads();
            this.qs = new float[group * hd];
            this.acc = new float[group * hd];
            this.key = new float[hd];
            this.value = new float[hd];
            this.max = new float[group];
            this.sum = new float[group];
        }

        void attend(
                MemorySegment q,
                MemorySegment cache,
                MemorySegment table,
                MemorySegment out,
                int layer,
                int t,
                int kvh,
                int seq,
                int pos,
                int tableWidth,
                int sequences,
                int numBlocks,
                int mode,
                boolean sameRows) {
            long qBase = 4L * ((long) t * layout.heads() + (long) kvh * group) * hd;
            MemorySegment.copy(q, LlmKernels.F32, qBase, qs, 0, group * hd);
            Arrays.fill(acc, 0);
            int len = pos + 1;
            if (mode == FLASH_TILES) {
                for (int i = 0; i < qs.length; i++) {
                    qs[i] = f16(qs[i]);
                }
                if (flash == null) {
                    flash = new F16FlashTiles.Scratch(group, hd);
                }
                if (!sameRows) {
                    F16FlashTiles.rows(flash, layout, table, tableWidth, sequences, numBlocks, seq, len, layer);
                }
                long head = 2L * kvh * hd;
                F16FlashTiles.attend(flash, qs, cache, head, head + 2 * layout.valueDelta(), len, layout.scale(), acc);
            } else if (mode == FLASH_SCALAR) {
                for (int i = 0; i < qs.length; i++) {
                    qs[i] = f16(qs[i]);
                }
                Arrays.fill(max, Float.NEGATIVE_INFINITY);
                Arrays.fill(sum, 0);
                for (int j = 0; j < len; j++) {
                    long row =
                            layout.keyOffset(table, tableWidth, sequences, numBlocks, seq, j, layer) + (long) kvh * hd;
                    widen(cache, row, key);
                    widen(cache, row + layout.valueDelta(), value);
                    for (int g = 0; g < group; g++) {
                        online(g, dot(qs, g * hd, key) * layout.scale());
                    }
                }
                for (int g = 0; g < group; g++) {
                    float inv = 1 / sum[g];
                    for (int i = 0; i < hd; i++) {
                        acc[g * hd + i] *= inv;
                    }
                }
            } else {
                if (scores.length < group * len) {
                    scores = new float[Math.max(group * len, 2 * scores.length)];
                }
                for (int j = 0; j < len; j++) {
                    long row =
                            layout.keyOffset(table, tableWidth, sequences, numBlocks, seq, j, layer) + (long) kvh * hd;
                    widen(cache, row, key);
                    for (int g = 0; g < group; g++) {
                        scores[g * len + j] = dot(qs, g * hd, key) * layout.scale();
                    }
                }
                for (int g = 0; g < group; g++) {
                    float inv = 1f / VectorMath.softmaxNumerators(scores, g * len, len);
                    for (int j = 0; j < len; j++) {
                        scores[g * len + j] *= inv;
                    }
                }
                for (int j = 0; j < len; j++) {
                    long row = layout.keyOffset(table, tableWidth, sequences, numBlocks, seq, j, layer)
                            + layout.valueDelta()
                            + (long) kvh * hd;
                    widen(cache, row, value);
                    for (int g = 0; g < group; g++) {
                        float p = scores[g * len + j];
                        for (int i = 0; i < hd; i++) {
                            acc[g * hd + i] = Math.fma(p, value[i], acc[g * hd + i]);
                        }
                    }
                }
            }
            MemorySegment.copy(acc, 0, out, LlmKernels.F32, qBase, group * hd);
        }

        /** One step of ggml's online softmax for query {@code g}, with score {@code s} and V row {@link #value}. */
        private void online(int g, float s) {
            int o = g * hd;
            float vs = 1;
            float ms = 1;
            if (s > max[g]) {
                float old = max[g];
                max[g] = s;
                ms = old == Float.NEGATIVE_INFINITY ? 0 : (float) Math.exp(old - s);
                for (int i = 0; i < hd; i++) {
                    acc[o + i] = f16(acc[o + i] * ms);
                }
            } else {
                vs = (float) Math.exp(s - max[g]);
            }
            for (int i = 0; i < hd; i++) {
                acc[o + i] = f16(Math.fma(value[i], vs, acc[o + i]));
            }
            sum[g] = sum[g] * ms + vs;
        }
    }

    /** The f16 row of {@code dst.length} values at element {@code at} of the cache, as floats. */
    private static void widen(MemorySegment cache, long at, float[] dst) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] = Float.float16ToFloat(cache.get(F16, 2 * (at + i)));
        }
    }

    private static float dot(float[] a, int ao, float[] b) {
        int n = b.length;
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (; i <= n - F.length(); i += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, i), acc);
        }
        for (int h = F.length() / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(VectorMath.ROTATE[h]));
        }
        float s = acc.lane(0);
        for (; i < n; i++) {
            s += a[ao + i] * b[i];
        }
        return s;
    }

    static float f16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }
}
