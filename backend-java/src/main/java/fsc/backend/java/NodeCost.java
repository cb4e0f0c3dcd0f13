package fsc.backend.java;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.ops.Ops;
import java.util.List;
import java.util.Set;

/**
 * What one IR node costs, for {@code fsc profile}: FLOPs and compulsory memory traffic as {@link
 * Poly}s over the graph's symbols. The model is the usual roofline accounting, not an instruction
 * count:
 *
 * <ul>
 *   <li>{@code matmul}, {@code gemm}, {@code qmatmul}, {@code matmul_int8}: {@code 2·M·N·K} (one
 *       multiply and one add per term; integer operations for {@code matmul_int8}, which the profile
 *       holds against the f32 FMA peak, the ceiling of its Java kernel), plus one per output for a
 *       bias; {@code conv}: {@code 2·|out|·(C/group)·kh·kw}.
 *   <li>{@code attention}: {@code 2·S·T·D} for the scores, {@code 2·S·T·Dv} for the weighted sum and 5
 *       per score for scale, mask, max, exp and normalise, per batch and head.
 *   <li>normalisations per element: {@code layer_norm} 8, {@code rms_norm} 4, {@code batch_norm} 2,
 *       {@code softmax} 5, {@code dynamic_quantize} 4 (min, max, divide and round, add the zero point),
 *       {@code dynamic_quantize_rows} 3 (abs-max, divide, round; 4 with its smoothing multiply); reductions and scans 1 per input element; pooling one per window element;
 *       {@code rope} 3 per element.
 *   <li>every element-wise op, transcendental or not, 1 per output element: the count says how much
 *       arithmetic the graph asks for, not what an {@code exp} costs in instructions.
 *   <li>data movement (reshape, transpose, gather, concat, slice, cast, ...) 0.
 * </ul>
 *
 * A fused node costs the sum of its body's nodes. Ops outside these families have unknown FLOPs
 * ({@code null}), which the profile prints as "?" rather than a guess.
 *
 * <p>Bytes are every input read once and every output written once: the traffic a perfect cache
 * leaves, so achieved GB/s is a lower bound on what the kernel moved. Exceptions: a gather or
 * embedding reads only the rows it copies; a view (reshape of the same buffer) moves nothing;
 * {@code paged_attention} counts its activations but not the KV cache, whose read part depends on
 * the positions.
 */
final class NodeCost {
    /** FLOPs (null when not modelled) and bytes of one node. */
    record Cost(Poly flops, Poly bytes) {}

    static final Set<String> MOVEMENT = Set.of(
            "reshape",
            "squeeze",
            "unsqueeze",
            "identity",
            "flatten",
            "transpose",
            "gather",
            "embedding",
            "concat",
            "slice",
            "split",
            "expand",
            "tile",
            "cast",
            "shape",
            "constant_of_shape",
            "dim_values",
            "range",
            "trilu",
            "pad",
            "depth_to_space",
            "space_to_depth",
            "gather_elements",
            "gather_nd",
            "scatter_elements",
            "scatter_nd",
            "one_hot");

    private NodeCost() {}

    /**
     * @param isView whether the node's output shares its input's buffer (the backend emits no copy)
     */
    static Cost of(Node n, boolean isView) {
        return new Cost(flops(n), isView ? Poly.ZERO : bytes(n));
    }

    static Poly elements(Value v) {
        return Poly.of(v.type().elementCount());
    }

    /** Bytes of {@code v}: block types by their block size, sub-byte types rounded per tensor. */
    static Poly bytesOf(Value v) {
        DType t = v.dtype();
        Dim count = v.type().elementCount();
        if (t.isSubByte() && count.isFixed()) {
            return Poly.of(Dim.of(t.bytesFor(count.value())));
        }
        return Poly.of(count, (double) t.blockBytes() / t.blockSize());
    }

    static Poly bytes(Node n) {
        return switch (n.op()) {
            case "gather", "embedding" -> {
                // Only the copied rows are read: as many bytes as the output, in the table's type.
                Value table = n.input(0);
                Value out = n.output();
                Poly rows = Poly.of(
                        out.type().elementCount(),
                        (double) table.dtype().blockBytes() / table.dtype().blockSize());
                yield rows.plus(bytesOf(n.input(1))).plus(bytesOf(out));
            }
            case "paged_attention" ->
                sum(List.of(n.input(0), n.input(1), n.input(2), n.input(5), n.input(6)))
                        .plus(sum(n.outputs()));
            default -> sum(n.inputs()).plus(sum(n.outputs()));
        };
    }

    private static Poly sum(List<Value> values) {
        Poly p = Poly.ZERO;
        for (Value v : values) {
            p = p.plus(bytesOf(v));
        }
        return p;
    }

    /** FLOPs of {@code n}, or null when the op has no cost model here. */
    static Poly flops(Node n) {
        if (n.isFused()) {
            Poly s = Poly.ZERO;
            for (Node b : n.body().nodes()) {
                Poly f = flops(b);
                if (f == null) {
                    return null;
                }
                s = s.plus(f);
            }
            return s;
        }
        String op = n.op();
        if (MOVEMENT.contains(op)) {
            return Poly.ZERO;
        }
        if (Ops.elementwiseBinary().contains(op) || Ops.elementwiseMaps().contains(op)) {
            return elements(n.output());
        }
        return switch (op) {
            case "clip", "where" -> elements(n.output());
            case "matmul", "qmatmul", "matmul_int8" -> {
                Value a = n.input(0);
                Dim k = a.type().dim(a.type().rank() - 1);
                yield Poly.of(n.output().type().elementCount().times(k), 2);
            }
            case "gemm" -> {
                Value a = n.input(0);
                Dim k = n.intAttr("trans_a") != 0 ? a.type().dim(0) : a.type().dim(1);
                Poly mac = Poly.of(n.output().type().elementCount().times(k), 2);
                yield n.inputs().size() > 2 ? mac.plus(elements(n.output())) : mac;
            }
            case "conv" -> {
                Value w = n.input(1);
                // Weights [Cout, Cin/group, k...]: each output sums Cin/group × k... products.
                Dim perOut = w.type().elementCount().dividedBy(w.type().dim(0)).orElse(null);
                if (perOut == null) {
                    yield null;
                }
                Poly mac = Poly.of(n.output().type().elementCount().times(perOut), 2);
                yield n.inputs().size() > 2 ? mac.plus(elements(n.output())) : mac;
            }
            case "attention" -> attention(n);
            case "layer_norm" -> Poly.of(n.input(0).type().elementCount(), 8);
            case "dynamic_quantize" -> Poly.of(n.input(0).type().elementCount(), 4);
            case "dynamic_quantize_rows" ->
                Poly.of(n.input(0).type().elementCount(), n.inputs().size() + 2);
            case "rms_norm" -> Poly.of(n.input(0).type().elementCount(), 4);
            case "batch_norm" -> Poly.of(n.input(0).type().elementCount(), 2);
            case "softmax", "log_softmax" -> Poly.of(n.input(0).type().elementCount(), 5);
            case "rope" -> Poly.of(n.output().type().elementCount(), 3);
            case "reduce_sum",
                    "reduce_mean",
                    "reduce_max",
                    "reduce_min",
                    "reduce_prod",
                    "reduce_l2",
                    "argmax",
                    "cumsum",
                    "cumprod",
                    "global_average_pool",
                    "global_max_pool" -> elements(n.input(0));
            case "max_pool", "average_pool" -> {
                long window = 1;
                if (n.attrs().get("kernel_shape") instanceof fsc.ir.Attr.Ints ks) {
                    for (long k : ks.values()) {
                        window *= k;
                    }
                }
                yield Poly.of(n.output().type().elementCount(), window);
            }
            default -> null;
        };
    }

    /** {@code q[..., S, D]}, {@code k[..., T, D]}, output {@code [..., S, Dv]}. */
    private static Poly attention(Node n) {
        var q = n.input(0).type();
        var k = n.input(1).type();
        var out = n.output().type();
        Dim t = k.dim(k.rank() - 2);
        Dim d = q.dim(q.rank() - 1);
        Dim scores = q.elementCount().dividedBy(d).map(x -> x.times(t)).orElse(null);
        if (scores == null) {
            return null;
        }
        return Poly.of(q.elementCount().times(t), 2)
                .plus(Poly.of(out.elementCount().times(t), 2))
                .plus(Poly.of(scores, 5));
    }
}
