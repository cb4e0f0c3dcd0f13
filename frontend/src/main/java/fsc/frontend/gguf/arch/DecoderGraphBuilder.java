package fsc.frontend.gguf.arch;

import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufTensorInfo;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the one-step decoder graph of a LLaMA-family model from its GGUF tensors:
 *
 * <pre>
 *   x = embedding(token_embd, tokens)                                  f32[T, dim]
 *   per layer: h = rms_norm(x); q,k,v = qmatmul(h, wq|wk|wv); q,k = rope(q,k at positions)
 *              x += qmatmul(paged_attention(q, k, v, kv_cache, block_table, seq_ids, positions), wo)
 *              h = rms_norm(x); x += qmatmul(silu(qmatmul(h, gate)) * qmatmul(h, up), down)
 *   logits = qmatmul(rms_norm(gather(x, logit_rows)), output | token_embd)     f32[R, vocab]
 * </pre>
 *
 * Symbols: {@code T} tokens in the step, {@code R} rows whose logits are wanted, {@code NS}
 * sequences in the block table, {@code MB} blocks per sequence, {@code NB} blocks in the cache.
 * Weights are constants that view the mapped GGUF bytes, in their file types.
 *
 * <p>The cache is {@code kv_cache} of {@link DecoderOptions#kvType()}. In {@link
 * DecoderNumerics#LLAMA_CPP} numerics every {@code qmatmul} on a K-quant weight carries {@code
 * activations = "q8_k"}, one on a Q4_0/Q8_0 weight {@code activations = "q8_0"}, and every {@code
 * paged_attention} {@code accumulate = "f16"}: the backend then quantizes activations to Q8_K or
 * Q8_0 and runs llama.cpp's f16 flash attention.
 */
final class DecoderGraphBuilder {
    private final GgufFile file;
    private final DecoderParams p;
    private final DecoderOptions opts;
    private final GraphBuilder g;
    private final int context;

    DecoderGraphBuilder(GgufFile file, DecoderParams p, DecoderOptions opts, String name) {
        this.file = file;
        this.p = p;
        this.opts = opts;
        this.g = new GraphBuilder(name);
        this.context = opts.context(p.trainedContext());
    }

    int context() {
        return context;
    }

    Graph build() {
        Dim t = Dim.sym("T");
        Dim r = Dim.sym("R");
        long blocksPerSeq = (context + opts.blockSize() - 1) / opts.blockSize();
        g.symbol("T", opts.maxBatchTokens())
                .symbol("R", opts.maxBatchTokens())
                .symbol("NS", opts.maxSequences())
                .symbol("MB", blocksPerSeq)
                .symbol("NB", DecoderOptions.MAX_BLOCKS);
        g.metadata("architecture", p.arch().name()).metadata("source", file.label());
        long blockFloats = (long) p.layers() * 2 * opts.blockSize() * p.kvHeads() * p.headDim();
        Value tokens = g.input("tokens", new TensorType(DType.I32, List.of(t)));
        Value positions = g.input("positions", new TensorType(DType.I32, List.of(t)));
        Value seqIds = g.input("seq_ids", new TensorType(DType.I32, List.of(t)));
        Value table = g.input("block_table", new TensorType(DType.I32, List.of(Dim.sym("NS"), Dim.sym("MB"))));
        Value cache = g.input("kv_cache", new TensorType(opts.kvType(), List.of(Dim.sym("NB"), Dim.of(blockFloats))));
        Value rows = g.input("logit_rows", new TensorType(DType.I32, List.of(r)));

        Value embd = weight("token_embd.weight");
        Value x = node("embedding", "token_embd", List.of(embd, tokens), Map.of());
        if (p.arch().scaleEmbedding()) {
            Value scale = g.constant("embedding_scale", scalar((float) Math.sqrt(p.dim())));
            x = node("mul", "embedding_scale", List.of(x, scale), Map.of());
        }
        RopeTables rope = RopeTables.of(p.ropeBase(), p.ropeDim(), context);
        Value cos = g.constant("rope_cos", rope.cos());
        Value sin = g.constant("rope_sin", rope.sin());
        Value pos2 = reshape(positions, "positions_2d", List.of(Dim.of(1), t));
        for (int l = 0; l < p.layers(); l++) {
            String b = "blk." + l + ".";
            Value h = rmsNorm(x, weight(b + "attn_norm.weight"), b + "attn_norm");
            Value q = projection(h, b + "attn_q");
            Value k = projection(h, b + "attn_k");
            Value v = projection(h, b + "attn_v");
            q = rope(q, cos, sin, pos2, p.heads(), b + "rope_q");
            k = rope(k, cos, sin, pos2, p.kvHeads(), b + "rope_k");
            Map<String, Attr> attrs = new LinkedHashMap<>();
            attrs.put("layer", new Attr.Int(l));
            attrs.put("num_layers", new Attr.Int(p.layers()));
            attrs.put("block_size", new Attr.Int(opts.blockSize()));
            attrs.put("num_heads", new Attr.Int(p.heads()));
            attrs.put("num_kv_heads", new Attr.Int(p.kvHeads()));
            attrs.put("head_dim", new Attr.Int(p.headDim()));
            if (opts.numerics() == DecoderNumerics.LLAMA_CPP) {
                attrs.put("accumulate", new Attr.Str("f16"));
            }
            Value a =
                    node("paged_attention", b + "attention", List.of(q, k, v, cache, table, seqIds, positions), attrs);
            x = node("add", b + "attn_residual", List.of(x, matmul(a, b + "attn_output")), Map.of());
            h = rmsNorm(x, weight(b + "ffn_norm.weight"), b + "ffn_norm");
            Value gate = matmul(h, b + "ffn_gate");
            Value act = p.arch().geluFfn()
                    ? node("gelu", b + "ffn_gelu", List.of(gate), Map.of("approximate", new Attr.Str("tanh")))
                    : node("silu", b + "ffn_silu", List.of(gate), Map.of());
            Value up = matmul(h, b + "ffn_up");
            Value m = node("mul", b + "ffn_gated", List.of(act, up), Map.of());
            x = node("add", b + "ffn_residual", List.of(x, matmul(m, b + "ffn_down")), Map.of());
        }
        Value last = node("gather", "logit_rows", List.of(x, rows), Map.of("axis", new Attr.Int(0)));
        Value n = rmsNorm(last, weight("output_norm.weight"), "output_norm");
        // Tied embeddings: without output.weight the head reuses the token table (llama.cpp does the same).
        Value head = file.findTensor("output.weight").isPresent() ? weight("output.weight") : embd;
        Value logits = node("qmatmul", "output", List.of(n, head), qmatmulAttrs(head));
        g.output(rename(logits, "logits"));
        return g.build();
    }

    private Value projection(Value h, String name) {
        Value y = matmul(h, name);
        if (p.arch().qkvBias()) {
            y = node("add", name + "_bias", List.of(y, weight(name + ".bias")), Map.of());
        }
        return y;
    }

    private Value matmul(Value x, String name) {
        Value w = weight(name + ".weight");
        return node("qmatmul", name, List.of(x, w), qmatmulAttrs(w));
    }

    /** In llama-cpp numerics, activations are quantized to the weight type's {@link DType#llamaCppVecDotType}. */
    private Map<String, Attr> qmatmulAttrs(Value w) {
        String activations = w.dtype().llamaCppVecDotType();
        return opts.numerics() != DecoderNumerics.LLAMA_CPP || activations == null
                ? Map.of()
                : Map.of("activations", new Attr.Str(activations));
    }

    private Value rmsNorm(Value x, Value w, String name) {
        return node("rms_norm", name, List.of(x, w), Map.of("epsilon", new Attr.Float(p.rmsEps())));
    }

    private Value rope(Value x, Value cos, Value sin, Value pos2, int heads, String name) {
        Dim t = x.type().dim(0);
        Dim width = x.type().dim(1);
        Value x3 = reshape(x, name + "_in", List.of(Dim.of(1), t, width));
        Map<String, Attr> attrs = new LinkedHashMap<>();
        attrs.put("interleaved", new Attr.Int(p.arch().ropeInterleaved() ? 1 : 0));
        attrs.put("num_heads", new Attr.Int(heads));
        attrs.put("rotary_embedding_dim", new Attr.Int(p.ropeDim()));
        Value y = node("rope", name, List.of(x3, cos, sin, pos2), attrs);
        return reshape(y, name + "_out", List.of(t, width));
    }

    private Value reshape(Value x, String name, List<Dim> shape) {
        return node("reshape", name, List.of(x), Map.of("shape", new Attr.Dims(shape)));
    }

    /** The output keeps the name callers look for; an identity-free rename is a view (reshape). */
    private Value rename(Value v, String name) {
        return reshape(v, name, v.type().dims());
    }

    private Value node(String op, String name, List<Value> in, Map<String, Attr> attrs) {
        return g.node(op, name, in, attrs);
    }

    private final Map<String, Value> weights = new LinkedHashMap<>();

    /** A constant viewing tensor {@code name} of the file, zero-copy, in its GGUF type and shape. */
    private Value weight(String name) {
        Value v = weights.get(name);
        if (v != null) {
            return v;
        }
        GgufTensorInfo info = file.findTensor(name)
                .orElseThrow(() -> new FscException(
                        file.label() + ": tensor '" + name + "' is missing",
                        "a " + p.arch().name() + " model with " + p.layers() + " layers needs it"));
        DType dtype = info.type().dtype(file.label() + " tensor '" + name + "'");
        List<Long> dims = new ArrayList<>();
        for (long d : info.shape()) {
            dims.add(d);
        }
        ByteBuffer bytes = file.tensorData(info).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        v = g.constant(name, new WeightData(dtype, dims, bytes));
        weights.put(name, v);
        return v;
    }

    private static WeightData scalar(float f) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, f);
        return new WeightData(DType.F32, List.of(), b);
    }
}
