package fsc.runtime.llm;

import fsc.runtime.ElemType;
import fsc.runtime.Parallelism;
import fsc.runtime.quant.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The decoder kernels generated code calls with constant shapes, one entry point per decoder op:
 * {@code qmatmul} and {@code embedding} on weights in their GGUF layout (dot products on the packed
 * blocks, never a dequantized copy of the tensor; {@link QuantMatmul}, {@link Embedding}), {@code
 * rope} in llama.cpp's two pairings ({@link Rope}), and {@code pagedAttention} over the {@link
 * KvCache} layout {@code [block][layer][k|v][slot][kv_heads * head_dim]} ({@link PagedAttention}).
 * This class is the API the Java backend emits calls to; the kernels live in those classes.
 */
public final class LlmKernels {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private LlmKernels() {}

    /**
     * {@code y[t, j] = dot(w row j, x row t)} for {@code rows} activations of {@code k} floats and
     * {@code n} weight rows. The loop runs weight row outermost so a row is read from memory once per
     * step, however many tokens the step holds (prefill reuses it from cache).
     */
    public static void qmatmul(
            Parallelism par, GgmlType type, MemorySegment w, MemorySegment x, MemorySegment y, int rows, int k, int n) {
        QuantMatmul.f32Activations(par, type, w, x, y, rows, k, n);
    }

    /**
     * {@link #qmatmul} as llama.cpp's CPU backend computes it for K-quant weights: each activation
     * row quantized to Q8_K once, then integer dot products ({@link QuantMatmul#q8kActivations}).
     * Used by the llama.cpp numerics mode.
     */
    public static void qmatmulQ8K(
            Parallelism par, GgmlType type, MemorySegment w, MemorySegment x, MemorySegment y, int rows, int k, int n) {
        QuantMatmul.q8kActivations(par, type, w, x, y, rows, k, n);
    }

    /**
     * {@link #qmatmul} as llama.cpp's CPU backend computes it for Q4_0 and Q8_0 weights: each
     * activation row quantized to Q8_0 once, then integer dot products ({@link Q80Matmul}). Used by
     * the llama.cpp numerics mode.
     */
    public static void qmatmulQ80(
            Parallelism par, GgmlType type, MemorySegment w, MemorySegment x, MemorySegment y, int rows, int k, int n) {
        Q80Matmul.matmul(par, type, w, x, y, rows, k, n);
    }

    /** Row {@code ids[i]} of {@code table} (vocab × dim, any GGUF type), dequantized into {@code y[i]}. */
    public static void embedding(
            GgmlType type, MemorySegment table, int vocab, MemorySegment ids, MemorySegment y, int count, int dim) {
        Embedding.lookup(type, table, vocab, ids, y, count, dim);
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
        Rope.apply(
                x,
                cos,
                sin,
                tableRows,
                positions,
                longPositions,
                y,
                batch,
                seq,
                heads,
                headDim,
                rotary,
                headsMajor,
                interleaved);
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
        PagedAttention.run(
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
                numBlocks);
    }

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
                llamaCppFlash,
                true);
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
}
