package fsc.compiler;

import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.passes.Pass;
import fsc.passes.Pipelines;
import fsc.passes.Precision;
import fsc.passes.QuantizePass;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;

/**
 * The compile step of {@code --quantize}: refuses a model that is already quantized, decides each
 * linear layer's precision ({@code int8}/{@code int4} for all, or {@code auto} by measurement) and
 * places the {@code quantize} pass in the pipeline.
 */
final class QuantizeCompile {
    private QuantizeCompile() {}

    /** Ops that only a quantized model has after import. */
    private static final Set<String> QUANTIZED_OPS = Set.of("dynamic_quantize", "matmul_int8", "qmatmul");

    static List<Pass> plan(
            CompileSettings s,
            Graph imported,
            List<Pass> pipeline,
            SortedMap<String, byte[]> resources,
            CompileProgress progress) {
        refuseQuantized(s, imported);
        Precision all = Precision.byName(s.quantize().mode());
        return Pipelines.withQuantize(pipeline, new QuantizePass(all));
    }

    /**
     * A model whose weights are already integers (ONNX QDQ or dynamic-quantization exports) is not
     * quantized again: its matmuls are integer ones the int8 path already runs.
     */
    static void refuseQuantized(CompileSettings s, Graph g) {
        boolean quantized =
                g.constants().stream().anyMatch(c -> isQuantizedType(c.value().dtype()))
                        || g.nodes().stream().map(Node::op).anyMatch(QUANTIZED_OPS::contains);
        if (quantized) {
            throw new FscException(s.input() + ": --quantize " + s.quantize().mode()
                    + " applies to f32 models; this one is already quantized (it has 8-bit or packed weights)");
        }
    }

    private static boolean isQuantizedType(DType t) {
        return t == DType.I8 || t == DType.U8 || t.isSubByte() || t.isQuantizedBlock();
    }
}
