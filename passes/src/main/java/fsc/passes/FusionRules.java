package fsc.passes;

import fsc.ir.ops.OpTrait;
import fsc.ir.ops.Ops;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the {@code fuse} pass asks of the backend it compiles for: which ops a fused element-wise
 * chain may hold (the backend must have a loop-body form for each), and which steps after a weight
 * GEMM the backend folds into the GEMM's own epilogue, so the pass leaves them alone.
 *
 * <p>Each backend supplies its own ({@code JavaBackend.fusionRules()}, {@code CudaBackend.fusionRules()});
 * the pipelines take them as an argument. Every chain op must carry {@link OpTrait#ELEMENTWISE} on its
 * op definition, the one place that says which ops are element-wise.
 *
 * @param chainOps ops that may join a fused {@code @elementwise} group (f32, one output)
 * @param gemmEpilogueBias whether a constant-operand {@code add} reading a {@code matmul}'s sole-reader
 *     result is the backend's (left unfused)
 * @param gemmEpilogueActivations activations the backend applies in the GEMM epilogue, after the bias
 *     or directly on the {@code matmul}'s result (left unfused); empty when it has none
 */
public record FusionRules(Set<String> chainOps, boolean gemmEpilogueBias, Set<String> gemmEpilogueActivations) {

    public FusionRules {
        chainOps = Set.copyOf(new TreeSet<>(chainOps));
        gemmEpilogueActivations = Set.copyOf(gemmEpilogueActivations);
        for (String op : chainOps) {
            if (!Ops.hasTrait(op, OpTrait.ELEMENTWISE)) {
                throw new IllegalArgumentException("fusion rules: '" + op + "' is not an element-wise op");
            }
        }
        for (String op : gemmEpilogueActivations) {
            if (!Ops.hasTrait(op, OpTrait.UNARY_MAP)) {
                throw new IllegalArgumentException("fusion rules: epilogue activation '" + op + "' is not a map");
            }
        }
    }

    /**
     * The rules of a pipeline not told its backend ({@code --passes fuse}, {@code Pipelines.cpuDefault()}):
     * the Java backend's, the default target. Chains of the ops every backend has a loop body for; a
     * bias add and a relu or gelu after a matmul left to the GEMM epilogue. erf and gelu are not chain
     * ops: the Java backend runs them as nodes of their own that call a loop kernel (FloatMath.gelu).
     */
    public static final FusionRules DEFAULT = new FusionRules(
            Set.of(
                    "add",
                    "sub",
                    "mul",
                    "div",
                    "pow",
                    "max",
                    "min",
                    "sqrt",
                    "reciprocal",
                    "exp",
                    "log",
                    "tanh",
                    "sigmoid",
                    "neg",
                    "abs",
                    "relu",
                    "silu"),
            true,
            Set.of("relu", "gelu"));

    /** Whether the backend reserves any step after a GEMM for its epilogue. */
    public boolean hasGemmEpilogue() {
        return gemmEpilogueBias || !gemmEpilogueActivations.isEmpty();
    }
}
