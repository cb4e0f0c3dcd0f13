package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Decoder ops whose weights stay in their GGUF layout and whose state lives in the runtime:
 * {@code qmatmul} and {@code embedding} read packed weight rows (Q8_0, Q4_K, ... or plain F32/F16/BF16)
 * without dequantizing the tensor; {@code paged_attention} reads and writes the runtime's paged KV
 * cache through a block table, so prefill and decode run the same compiled step.
 */
final class LlmOps {
    private LlmOps() {}

    static List<OpDef> defs() {
        return List.of(
                new OpSpec("embedding", 2, 2, LlmOps::embedding),
                // The cache geometry has no defaults: the graph builder states every number.
                // accumulate: "f16" selects llama.cpp's f16 flash attention over an f16 cache.
                new OpSpec("paged_attention", 7, 7, LlmOps::pagedAttention)
                        .attrs(
                                AttrSpec.integer("layer"),
                                AttrSpec.integer("num_layers"),
                                AttrSpec.integer("block_size"),
                                AttrSpec.integer("num_heads"),
                                AttrSpec.integer("num_kv_heads"),
                                AttrSpec.integer("head_dim"),
                                AttrSpec.string("accumulate", "f32")),
                // activations: "q8_k" quantizes x to Q8_K rows first, as llama.cpp does for K-quants;
                // "q8_0" to Q8_0 rows, as it does for Q4_0/Q8_0 weights.
                new OpSpec("qmatmul", 2, 2, LlmOps::qmatmul).attrs(AttrSpec.string("activations", "f32")));
    }

    /** Weight types a GGUF row may have: plain floats or a packed block layout. */
    private static boolean isWeightType(DType t) {
        return t == DType.F32 || t == DType.F16 || t == DType.BF16 || t.isQuantizedBlock();
    }

    /**
     * {@code qmatmul(x f32[..., K], w [N, K])} gives {@code f32[..., N]}: {@code y = x · wᵀ}, with w
     * row-major as GGUF stores it (ggml {@code ne0 = K}), each row a whole number of blocks.
     */
    private static List<TensorType> qmatmul(InferContext ctx) {
        TensorType x = ctx.input(0);
        TensorType w = ctx.input(1);
        if (x.dtype() != DType.F32 || x.rank() < 1) {
            throw ctx.fail("x must be f32 with at least one dimension, got " + x);
        }
        if (w.rank() != 2 || !isWeightType(w.dtype()) || !w.isStatic()) {
            throw ctx.fail("w must be a fixed-size 2-D f32/f16/bf16 or packed GGUF weight [N, K], got " + w);
        }
        if (!x.dim(x.rank() - 1).equals(w.dim(1))) {
            throw ctx.fail(
                    "x " + x + " has " + x.dim(x.rank() - 1) + " features but w " + w + " rows have " + w.dim(1));
        }
        List<Dim> out = new ArrayList<>(x.dims());
        out.set(out.size() - 1, w.dim(0));
        return List.of(TensorType.of(DType.F32).withDims(out));
    }

    /** {@code embedding(table [V, D], ids int[...])} gives {@code f32[..., D]}: row ids[i] of the table, dequantized. */
    private static List<TensorType> embedding(InferContext ctx) {
        TensorType table = ctx.input(0);
        TensorType ids = ctx.input(1);
        if (table.rank() != 2 || !isWeightType(table.dtype())) {
            throw ctx.fail("table must be a 2-D f32/f16/bf16 or packed GGUF weight [V, D], got " + table);
        }
        if (!ids.dtype().isInteger()) {
            throw ctx.fail("ids must be integers, got " + ids);
        }
        List<Dim> out = new ArrayList<>(ids.dims());
        out.add(table.dim(1));
        return List.of(TensorType.of(DType.F32).withDims(out));
    }

    /**
     * {@code paged_attention(q [T, Hq*D], k [T, Hkv*D], v [T, Hkv*D], cache f32|f16[NB, L*2*BS*Hkv*D],
     * block_table i32[NS, MB], seq_ids i32[T], positions i32[T])} gives {@code f32[T, Hq*D]}. First
     * every token's k and v are stored in layer {@code layer} of the cache at its sequence's block
     * {@code block_table[seq][pos / BS]}, slot {@code pos % BS}; then each token attends causally to
     * positions {@code 0..pos} of its own sequence (grouped-query: head h reads kv head {@code h /
     * (Hq/Hkv)}). The cache is updated in place: it is the runtime's state, not an SSA value.
     */
    private static List<TensorType> pagedAttention(InferContext ctx) {
        TensorType q = ctx.input(0);
        TensorType k = ctx.input(1);
        TensorType v = ctx.input(2);
        TensorType cache = ctx.input(3);
        TensorType table = ctx.input(4);
        TensorType seqs = ctx.input(5);
        TensorType pos = ctx.input(6);
        long layers = positive(ctx, "num_layers");
        long layer = ctx.has("layer") ? ctx.intAttr("layer") : -1;
        long block = positive(ctx, "block_size");
        long heads = positive(ctx, "num_heads");
        long kvHeads = positive(ctx, "num_kv_heads");
        long headDim = positive(ctx, "head_dim");
        if (layer < 0 || layer >= layers) {
            throw ctx.fail("layer " + layer + " is outside 0.." + (layers - 1));
        }
        if (heads % kvHeads != 0) {
            throw ctx.fail("num_heads " + heads + " must be a multiple of num_kv_heads " + kvHeads);
        }
        Dim tokens = q.dim(0);
        boolean ok = q.dtype() == DType.F32
                && k.dtype() == DType.F32
                && v.dtype() == DType.F32
                && q.rank() == 2
                && k.rank() == 2
                && v.rank() == 2
                && q.dim(1).equals(Dim.of(heads * headDim))
                && k.dims().equals(List.of(tokens, Dim.of(kvHeads * headDim)))
                && v.dims().equals(k.dims());
        if (!ok) {
            throw ctx.fail("q " + q + ", k " + k + ", v " + v + " must be f32 [T, " + heads + "*" + headDim
                    + "] and [T, " + kvHeads + "*" + headDim + "]");
        }
        long blockFloats = layers * 2 * block * kvHeads * headDim;
        boolean cacheType = cache.dtype() == DType.F32 || cache.dtype() == DType.F16;
        if (!cacheType || cache.rank() != 2 || !cache.dim(1).equals(Dim.of(blockFloats))) {
            throw ctx.fail("cache " + cache + " must be f32 or f16 [blocks, " + blockFloats + "]");
        }
        if (table.dtype() != DType.I32 || table.rank() != 2) {
            throw ctx.fail("block_table " + table + " must be i32[sequences, blocks per sequence]");
        }
        for (TensorType t : List.of(seqs, pos)) {
            if (t.dtype() != DType.I32 || !t.dims().equals(List.of(tokens))) {
                throw ctx.fail("seq_ids and positions must be i32[" + tokens + "], got " + t);
            }
        }
        return List.of(q);
    }

    private static long positive(InferContext ctx, String name) {
        long v = ctx.has(name) ? ctx.intAttr(name) : 0;
        if (v < 1) {
            throw ctx.fail("attribute '" + name + "' must be a positive integer, got " + v);
        }
        return v;
    }
}
