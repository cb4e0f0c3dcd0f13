package fsc.passes;

import java.util.List;

/**
 * The pass pipelines fsc runs by default, in phases. Each line says why the pass stands where it
 * does; change the order only with a reason that replaces the comment.
 */
public final class Pipelines {
    private Pipelines() {}

    /** The CPU (Java Vector API) pipeline. */
    public static List<Pass> cpuDefault() {
        return List.of(
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
                // Recognize leaves the patterns' literals (2.0, sqrt(2), eps) unread; drop them again.
                new DcePass(),
                // Fuse after recognize, so the chains it groups are what the high-level kernels left
                // (masks, residual scales, SwiGLU products), not the pieces of a layer_norm or gelu.
                new FusePass(),
                // After the graph's final shape is known (nothing later rewrites a matmul): pack the
                // constant GEMM weights once, at compile time, so the jar maps panels instead of
                // packing at load; before plan-memory, which does not place constants.
                new LayoutPass(),
                // Last: offsets depend on the final node order and value sizes, and any pass that
                // rebuilds the node list drops the plan.
                new PlanMemoryPass());
    }

    /**
     * The CUDA pipeline: the CPU one without {@code layout}. CUDA kernels read weights row-major,
     * and a panel width is a property of the CPU's vectors, not of a GPU.
     */
    public static List<Pass> cudaDefault() {
        return cpuDefault().stream().filter(p -> !(p instanceof LayoutPass)).toList();
    }
}
