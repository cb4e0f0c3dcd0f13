package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.List;

/**
 * Decoder ops, emitted as calls into {@code fsc.runtime.llm.LlmKernels} with the shapes as
 * constants (or symbol expressions) so the JIT specialises the kernels: {@code qmatmul} and {@code
 * embedding} pass the weight's GGUF type so dot products run on the packed blocks; {@code
 * paged_attention} passes the cache layout; {@code rope} the pairing mode. The llama.cpp numerics
 * attributes pick the kernel: {@code activations = "q8_k"} on a qmatmul calls {@code qmatmulQ8K},
 * {@code activations = "q8_0"} (Q4_0/Q8_0 weights) {@code qmatmulQ80},
 * an f16 {@code kv_cache} calls {@code pagedAttentionF16} (with llama.cpp's f16 flash attention
 * when {@code accumulate = "f16"}).
 */
final class LlmEmitter {
    private LlmEmitter() {}

    static final ClassName KERNELS = ClassName.get("fsc.runtime.llm", "LlmKernels");
    static final ClassName GGML_TYPE = ClassName.get("fsc.runtime.quant", "GgmlType");

    /** Weight element types the runtime's packed dot products read. */
    static final List<DType> WEIGHT_TYPES = List.of(
            DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q4_K, DType.Q5_K, DType.Q6_K);

    static CodeBlock qmatmul(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value w = n.input(1);
        List<Dim> xd = x.type().dims();
        String activations = n.strAttr("activations");
        String kernel =
                switch (activations) {
                    case "f32" -> "qmatmul";
                    case "q8_k" -> "qmatmulQ8K";
                    case "q8_0" -> "qmatmulQ80";
                    default ->
                        throw new IllegalStateException(n.where()
                                + ": qmatmul activations must be f32, q8_k or q8_0, got '" + activations + "'");
                };
        return CodeBlock.builder()
                .addStatement(
                        "$T.$L($N, $T.$L, $N, $N, $N, $T.toIntExact($L), $L, $L)",
                        KERNELS,
                        kernel,
                        ModelContext.PAR,
                        GGML_TYPE,
                        w.dtype().name(),
                        s.segment(w, "w"),
                        s.segment(x, "x"),
                        s.segment(n.output(), "y"),
                        Math.class,
                        s.dims().product(xd.subList(0, xd.size() - 1)),
                        w.type().dim(1).value(),
                        w.type().dim(0).value())
                .build();
    }

    static CodeBlock embedding(Scope s) {
        Node n = s.node();
        Value table = n.input(0);
        Value ids = n.input(1);
        if (ids.dtype() != DType.I32) {
            throw new IllegalStateException(n.where() + ": embedding ids must be i32 here, got " + ids.dtype());
        }
        return CodeBlock.builder()
                .addStatement(
                        "$T.embedding($T.$L, $N, $L, $N, $N, $T.toIntExact($L), $L)",
                        KERNELS,
                        GGML_TYPE,
                        table.dtype().name(),
                        s.segment(table, "table"),
                        table.type().dim(0).value(),
                        s.segment(ids, "ids"),
                        s.segment(n.output(), "y"),
                        Math.class,
                        s.dims().of(ids.type().elementCount()),
                        table.type().dim(1).value())
                .build();
    }

    static CodeBlock pagedAttention(Scope s) {
        Node n = s.node();
        long heads = n.intAttr("num_heads");
        long headDim = n.intAttr("head_dim");
        double scale = 1.0 / Math.sqrt(headDim);
        Value table = n.input(4);
        DimCode dc = s.dims();
        boolean f16Cache = n.input(3).dtype() == DType.F16;
        String accumulate = n.strAttr("accumulate");
        if (!accumulate.equals("f32") && !(accumulate.equals("f16") && f16Cache)) {
            throw new IllegalStateException(n.where() + ": paged_attention accumulate must be f32, or f16 with an f16"
                    + " cache; got '" + accumulate + "' with a " + n.input(3).dtype() + " cache");
        }
        // An f16 cache takes the f16 kernel; accumulate=f16 selects llama.cpp's f16 flash attention in it.
        CodeBlock tail = f16Cache ? CodeBlock.of(", $L", accumulate.equals("f16")) : CodeBlock.of("");
        return CodeBlock.builder()
                .addStatement(
                        "$T.$L($N, $N, $N, $N, $N, $N, $N, $N, $N, $L, $L, $L, $L, $L, $Lf, $L, "
                                + "$T.toIntExact($L), $T.toIntExact($L), $T.toIntExact($L), $T.toIntExact($L)$L)",
                        KERNELS,
                        f16Cache ? "pagedAttentionF16" : "pagedAttention",
                        ModelContext.PAR,
                        s.segment(n.input(0), "q"),
                        s.segment(n.input(1), "k"),
                        s.segment(n.input(2), "v"),
                        s.segment(n.input(3), "cache"),
                        s.segment(table, "blockTable"),
                        s.segment(n.input(5), "seqIds"),
                        s.segment(n.input(6), "positions"),
                        s.segment(n.output(), "out"),
                        n.intAttr("num_layers"),
                        n.intAttr("block_size"),
                        heads,
                        n.intAttr("num_kv_heads"),
                        headDim,
                        (float) scale,
                        n.intAttr("layer"),
                        Math.class,
                        dc.of(n.input(0).type().dim(0)),
                        Math.class,
                        dc.of(table.type().dim(0)),
                        Math.class,
                        dc.of(table.type().dim(1)),
                        Math.class,
                        dc.of(n.input(3).type().dim(0)),
                        tail)
                .build();
    }

    /** {@code rope} in both layouts, with a positions operand (i32/i64) or per-token tables. */
    static CodeBlock rope(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value cos = n.input(1);
        List<Dim> xd = x.type().dims();
        boolean headsMajor = xd.size() == 4;
        long heads = headsMajor ? xd.get(1).value() : n.intAttr("num_heads");
        Dim seq = headsMajor ? xd.get(2) : xd.get(1);
        long headDim = headsMajor
                ? xd.get(3).value()
                : xd.get(2).dividedBy(Dim.of(heads)).orElseThrow().value();
        long rotary = n.intAttr("rotary_embedding_dim") == 0 ? headDim : n.intAttr("rotary_embedding_dim");
        boolean hasPositions = n.inputs().size() > 3;
        DimCode dc = s.dims();
        CodeBlock positions =
                hasPositions ? CodeBlock.of("$N", s.segment(n.input(3), "positions")) : CodeBlock.of("null");
        CodeBlock tableRows =
                hasPositions ? dc.of(cos.type().dim(0)) : CodeBlock.of("$L * $L", dc.of(xd.get(0)), dc.of(seq));
        return CodeBlock.builder()
                .addStatement(
                        "$T.rope($N, $N, $N, $T.toIntExact($L), $L, $L, $N, $T.toIntExact($L), $T.toIntExact($L), $L, $L, $L, $L, $L)",
                        KERNELS,
                        s.segment(x, "x"),
                        s.segment(cos, "cos"),
                        s.segment(n.input(2), "sin"),
                        Math.class,
                        tableRows,
                        positions,
                        hasPositions && n.input(3).dtype() == DType.I64,
                        s.segment(n.output(), "y"),
                        Math.class,
                        dc.of(xd.get(0)),
                        Math.class,
                        dc.of(seq),
                        heads,
                        headDim,
                        rotary,
                        headsMajor,
                        n.intAttr("interleaved") != 0)
                .build();
    }
}
