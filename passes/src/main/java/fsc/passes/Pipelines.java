package fsc.passes;

import fsc.ir.Node;
import java.util.List;
import java.util.function.Predicate;

/**
 * The pass pipelines fsc runs by default, in phases. Each line says why the pass stands where it
 * does; change the order only with a reason that replaces the comment.
 */
public final class Pipelines {
    private Pipelines() {}

    /** The CPU (Java Vector API) pipeline, for a backend without half-precision kernels. */
    public static List<Pass> cpuDefault() {
        return cpuDefault(WidenHalvesPass.NO_HALF_KERNELS);
    }

    /**
     * The CPU (Java Vector API) pipeline; {@code hasKernel} is the backend's support table, asked by
     * {@code widen-halves} which f16/bf16 nodes it must run in f32.
     */
    public static List<Pass> cpuDefault(Predicate<Node> hasKernel) {
        return cpuDefault(hasKernel, FusionRules.DEFAULT);
    }

    /**
     * The CPU pipeline for a backend with support table {@code hasKernel} and fusion rules {@code fusion}
     * (what its fused loops and GEMM epilogue can take; see {@link FusionRules}).
     */
    public static List<Pass> cpuDefault(Predicate<Node> hasKernel, FusionRules fusion) {
        return List.of(
                // Lower the quantization ops of an imported model (ONNX QDQ, MatMulInteger, ...) before
                // anything else: fold makes a dequantized constant weight an f32 constant and a
                // MatMulInteger weight's cast and zero-point sub the i32 constant quant-gemm repacks, and
                // recognize and quant-gemm match the element-wise pieces. A model without them passes
                // through unchanged.
                QuantizePass.lowering(true),
                // Canonicalize first: every later pass and the backends expect folded forms and no
                // shape arithmetic, and recognizers match on constants that fold produced.
                new FoldPass(),
                // After fold, repeated shape(x) chains have identical operands; merging them (and the
                // many equal small constants fold made) shrinks the graph before anything walks it again.
                new CsePass(),
                // Last in the phase: fold and cse leave the shape sub-graphs and original constants
                // unused; dropping them here keeps dumps readable and weights out of the jar.
                new DcePass(),
                // Recognize after canonicalization: patterns match on the scalar constants fold left
                // and on attribute-form reductions; before fuse and layout, which work on the
                // high-level ops (a layer_norm is one kernel, an attention never materialises scores).
                new RecognizePass(),
                // Right after recognize made the attention nodes, before the dce below, which drops
                // the transposes this leaves unread.
                new AttentionLayoutPass(),
                // After fold, when batch-norm parameters are plain constants (recognize leaves convs
                // alone): a conv followed by an inference batch_norm becomes one conv with scaled
                // weights and a bias, so no CNN pays a second pass over each conv output; before the
                // dce below, which drops the parameters nothing reads any more.
                new FoldBatchNormPass(),
                // Recognize leaves the patterns' literals (2.0, sqrt(2), eps) unread; drop them again.
                new DcePass(),
                // After fold, which turns a quantized weight's cast and zero-point sub into one i32
                // constant this pass can repack as s8; before fuse, which would group the rescale
                // (cast, mul by the scales, bias add) into an element-wise loop the GEMM's epilogue
                // then could not take.
                new QuantGemmPass(),
                // Widen after recognize, so a half attention or layer_norm is widened whole rather than
                // piece by piece; before fuse, which groups only f32 chains (a widened bf16 celu becomes
                // one loop), and before layout, which packs the f32 weights this converts.
                new WidenHalvesPass(hasKernel),
                // Fuse after recognize, so the chains it groups are what the high-level kernels left
                // (masks, residual scales, SwiGLU products), not the pieces of a layer_norm or gelu.
                // The backend's rules say what a chain may hold and what its GEMM epilogue takes.
                new FusePass(fusion),
                // After the graph's final shape is known (nothing later rewrites a matmul): pack the
                // constant GEMM weights once, at compile time, so the jar maps panels instead of
                // packing at load; before plan-memory, which does not place constants.
                new LayoutPass(),
                // Last: offsets depend on the final node order and value sizes, and any pass that
                // rebuilds the node list drops the plan.
                new PlanMemoryPass());
    }

    /**
     * {@code pipeline} with {@code quantize} just before {@code quant-gemm}: after recognize, so the
     * attention's matmuls are inside {@code attention} nodes and what is left with a constant weight
     * is a linear layer; before quant-gemm, which lowers the int8 form it writes onto the int8 kernel
     * with the bias in the epilogue; before fuse, which would put that bias add into an element-wise
     * chain, and before layout, which would pack the f32 weights this replaces.
     */
    public static List<Pass> withQuantize(List<Pass> pipeline, QuantizePass quantize) {
        List<Pass> out = new java.util.ArrayList<>();
        for (Pass p : pipeline) {
            if (p instanceof QuantGemmPass) {
                out.add(quantize);
            }
            out.add(p);
        }
        if (out.size() == pipeline.size()) {
            throw new IllegalStateException("quantize: the pipeline has no quant-gemm pass to lower onto");
        }
        return List.copyOf(out);
    }

    /**
     * The CUDA pipeline: the CPU one without {@code layout}, {@code quant-gemm}, {@code widen-halves}
     * and {@code attention-layout} (the CUDA attention kernel reads head-major operands),
     * and without {@code quantize}'s int8 form of static QDQ matmuls.
     * CUDA kernels read weights row-major, and a panel width is a property of the CPU's vectors, not
     * of a GPU; the CUDA backend has f16 kernels of its own. {@code fusion} is the CUDA backend's
     * ({@code CudaBackend.fusionRules()}), not the Java one's: its matmul has no bias/activation epilogue.
     */
    public static List<Pass> cudaDefault(FusionRules fusion) {
        return cpuDefault(WidenHalvesPass.NO_HALF_KERNELS, fusion).stream()
                .filter(p -> !(p instanceof LayoutPass)
                        && !(p instanceof QuantGemmPass)
                        && !(p instanceof WidenHalvesPass)
                        && !(p instanceof AttentionLayoutPass))
                // CUDA's matmul is f32 only and nothing lowers the int8 form there: a static QDQ
                // linear layer stays an f32 matmul of dequantized values.
                .map(p -> p instanceof QuantizePass ? QuantizePass.lowering(false) : p)
                .toList();
    }
}
