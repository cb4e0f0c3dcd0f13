package fsc.ir.interp;

import fsc.ir.ops.Ops;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Maps every op of {@link fsc.ir.ops.Ops} to its reference kernel. */
final class Kernels {
    private Kernels() {}

    private static final Set<String> BINARY = Set.copyOf(Ops.elementwiseBinary());
    private static final Set<String> UNARY = Set.copyOf(Ops.elementwiseMaps());
    private static final Set<String> REINTERPRET = Set.of("reshape", "squeeze", "unsqueeze", "bitcast");
    private static final Set<String> REDUCE =
            Set.of("reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_l2");
    private static final Set<String> OTHER = Set.of(
            "cast",
            "where",
            "transpose",
            "expand",
            "concat",
            "slice",
            "gather",
            "shape",
            "constant_of_shape",
            "dim_values",
            "matmul",
            "matmul_int8",
            "dynamic_quantize",
            "dynamic_quantize_linear",
            "dynamic_quantize_rows",
            "quantize_linear",
            "dequantize_linear",
            "matmul_integer",
            "qlinear_matmul",
            "conv_integer",
            "qlinear_conv",
            "gemm",
            "softmax",
            "log_softmax",
            "layer_norm",
            "rms_norm",
            "clip",
            "range",
            "nonzero",
            "unique",
            "non_max_suppression",
            "split",
            "trilu",
            "tile",
            "cumsum",
            "cumprod",
            "argmax",
            "conv",
            "max_pool",
            "average_pool",
            "global_average_pool",
            "global_max_pool",
            "batch_norm",
            "attention",
            "rope",
            "qmatmul",
            "embedding",
            "paged_attention",
            "grid_sample",
            "roi_align",
            "tfidf_vectorizer",
            "label_encoder",
            "regex_full_match",
            "string_concat",
            "string_equal",
            "string_normalizer",
            "string_split",
            "tree_ensemble");

    /** Every op with a kernel, sorted. */
    static Set<String> supported() {
        TreeSet<String> all = new TreeSet<>();
        all.addAll(BINARY);
        all.addAll(UNARY);
        all.addAll(REINTERPRET);
        all.addAll(REDUCE);
        all.addAll(OTHER);
        return all;
    }

    /** The node's outputs, computed by its op's kernel. */
    static List<HostTensor> run(Call c) {
        if (c.node().op().equals("split")) {
            return IndexingKernels.split(c);
        }
        if (c.node().op().equals("string_split")) {
            return StringKernels.split(c);
        }
        if (c.node().op().equals("dynamic_quantize") || c.node().op().equals("dynamic_quantize_linear")) {
            return Int8Kernels.dynamicQuantize(c);
        }
        if (c.node().op().equals("dynamic_quantize_rows")) {
            return Int8Kernels.dynamicQuantizeRows(c);
        }
        if (c.node().op().equals("unique")) {
            return ExtentKernels.unique(c);
        }
        return List.of(single(c));
    }

    /** Ops that only relabel a shape; on strings they keep the elements (the string ops are in StringKernels). */
    private static final Set<String> STRING_VIEWS = Set.of("identity", "reshape", "squeeze", "unsqueeze", "flatten");

    private static HostTensor single(Call c) {
        String op = c.node().op();
        if (STRING_VIEWS.contains(op) && !c.in().isEmpty() && c.in(0).dtype().isString()) {
            return HostTensor.ofStrings(c.outShape(), c.in(0).toStringArray());
        }
        if (BINARY.contains(op)) {
            return ElementwiseKernels.binary(c);
        }
        if (UNARY.contains(op)) {
            return ElementwiseKernels.unary(c);
        }
        if (REINTERPRET.contains(op)) {
            return LayoutKernels.reinterpret(c);
        }
        if (REDUCE.contains(op)) {
            return ReduceKernels.reduce(c);
        }
        return switch (op) {
            case "cast" -> ElementwiseKernels.cast(c);
            case "clip" -> ElementwiseKernels.clip(c);
            case "where" -> ElementwiseKernels.where(c);
            case "transpose" -> LayoutKernels.transpose(c);
            case "expand" -> LayoutKernels.expand(c);
            case "concat" -> LayoutKernels.concat(c);
            case "slice" -> LayoutKernels.slice(c);
            case "gather" -> LayoutKernels.gather(c);
            case "shape" -> LayoutKernels.shape(c);
            case "constant_of_shape" -> LayoutKernels.constantOfShape(c);
            case "dim_values" -> LayoutKernels.dimValues(c);
            case "matmul" -> LinalgKernels.matmul(c);
            case "gemm" -> LinalgKernels.gemm(c);
            case "matmul_int8" -> Int8Kernels.matmulInt8(c);
            case "quantize_linear" -> QuantLinearKernels.quantize(c);
            case "dequantize_linear" -> QuantLinearKernels.dequantize(c);
            case "matmul_integer" -> QuantLinearKernels.matmulInteger(c);
            case "qlinear_matmul" -> QuantLinearKernels.qlinearMatmul(c);
            case "conv_integer" -> QuantLinearKernels.convInteger(c);
            case "qlinear_conv" -> QuantLinearKernels.qlinearConv(c);
            case "softmax", "log_softmax" -> ReduceKernels.softmax(c);
            case "layer_norm", "rms_norm" -> ReduceKernels.layerNorm(c);
            case "range" -> IndexingKernels.range(c);
            case "nonzero" -> ExtentKernels.nonzero(c);
            case "non_max_suppression" -> ExtentKernels.nonMaxSuppression(c);
            case "trilu" -> IndexingKernels.trilu(c);
            case "tile" -> IndexingKernels.tile(c);
            case "cumsum", "cumprod" -> IndexingKernels.cumulative(c);
            case "argmax" -> IndexingKernels.argmax(c);
            case "conv" -> ConvKernels.conv(c);
            case "max_pool", "average_pool" -> ConvKernels.pool(c);
            case "global_average_pool", "global_max_pool" -> ConvKernels.globalPool(c);
            case "batch_norm" -> ConvKernels.batchNorm(c);
            case "attention" -> AttentionKernels.attention(c);
            case "rope" -> AttentionKernels.rope(c);
            case "qmatmul" -> LlmKernels.qmatmul(c);
            case "embedding" -> LlmKernels.embedding(c);
            case "paged_attention" -> LlmKernels.pagedAttention(c);
            case "grid_sample" -> SamplingKernels.gridSample(c);
            case "roi_align" -> RoiAlignKernel.roiAlign(c);
            case "tfidf_vectorizer" -> TfIdfKernel.tfidf(c);
            case "label_encoder" -> StringKernels.labelEncoder(c);
            case "regex_full_match" -> StringKernels.regexFullMatch(c);
            case "string_concat", "string_equal" -> StringKernels.binary(c);
            case "string_normalizer" -> StringKernels.normalizer(c);
            case "tree_ensemble" -> TreeEnsembleKernel.treeEnsemble(c);
            default -> throw new IllegalStateException(c.node().where() + ": the interpreter has no kernel for " + op);
        };
    }
}
