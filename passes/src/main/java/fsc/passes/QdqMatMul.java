package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link QuantLinearLowering}'s static QDQ linear layer: a {@code matmul} of a dequantized 8-bit
 * activation (one scale and zero point) by a dequantized constant 8-bit weight (one scale and zero
 * point, or one per column) becomes the MatMulInteger form that {@code quant-gemm} lowers onto {@code
 * matmul_int8}, the integers multiplied exactly and the two scales applied once to the sum:
 *
 * <pre>
 * %y: f32[B,S,N] = matmul(dequantize_linear(%q, %sx, %zx), dequantize_linear(%w, %sw, %zw) {axis = 1})
 *   ⇒                                                       // %q: u8|i8[B,S,K], %w: u8|i8[K,N] const
 * %y/a_centered = sub(cast(%q) {to = i32}, cast(%zx) {to = i32})
 * %y/b_centered = sub(cast(%w) {to = i32}, cast(%zw) {to = i32})
 * %y/acc: i32[B,S,N] = matmul(%y/a_centered, %y/b_centered)
 * %y/scale = mul(%sx, %sw)
 * %y = mul(cast(%y/acc) {to = f32}, %y/scale)
 * </pre>
 *
 * This is how ONNX Runtime runs such a layer (its QDQ fusion into an integer matmul), and it is
 * exact up to the f32 rounding of the scale product and the final multiply, where the op-by-op form
 * rounds every product and partial sum of dequantized values. The dequantize nodes that only such
 * matmuls read are dropped. Not matched: blocked or per-row parameters, a weight that is not a
 * constant (then the ops are lowered one by one: an f32 matmul of dequantized values).
 */
final class QdqMatMul {
    private QdqMatMul() {}

    /** Each matching matmul with its activation's and its weight's {@code dequantize_linear}. */
    static Map<Node, Node[]> matches(Graph g) {
        Map<Value, Node> defs = new IdentityHashMap<>();
        g.nodes().forEach(n -> n.outputs().forEach(v -> defs.put(v, n)));
        Set<Value> constants = Substitution.identitySet(
                g.constants().stream().map(Constant::value).toList());
        Map<Node, Node[]> out = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            if (!n.op().equals("matmul") || n.isFused() || n.output().dtype() != DType.F32) {
                continue;
            }
            Node a = defs.get(n.input(0));
            Node b = defs.get(n.input(1));
            if (dequantizes(a)
                    && a.input(0).type().rank() >= 2
                    && perTensor(a)
                    && dequantizes(b)
                    && constants.contains(b.input(0))
                    && b.input(0).type().rank() == 2
                    && (perTensor(b) || perColumn(b))) {
                out.put(n, new Node[] {a, b});
            }
        }
        return out;
    }

    /** The dequantize nodes whose every reader is a matched matmul (and that are no graph output). */
    static Set<Node> absorbed(Graph g, Map<Node, Node[]> matches) {
        Set<Node> out = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        matches.values().forEach(dq -> out.addAll(List.of(dq)));
        Set<Value> graphOutputs = Substitution.identitySet(g.outputs());
        for (Node n : g.nodes()) {
            if (matches.containsKey(n)) {
                continue;
            }
            out.removeIf(dq -> graphOutputs.contains(dq.output()) || n.inputs().contains(dq.output()));
        }
        return out;
    }

    /** Writes the integer form of matmul {@code e.node} whose operands {@code dq} dequantize. */
    static void lower(Expansion e, Node[] dq) {
        Node a = dq[0];
        Node b = dq[1];
        Value ac = QuantLinearLowering.centered(e, a.input(0), zeroPoint(a), true, "a");
        Value bc = QuantLinearLowering.centered(e, b.input(0), zeroPoint(b), false, "b");
        Value acc = e.emit("matmul", List.of(ac, bc), Map.of(), "acc");
        Value accF = e.cast(acc, DType.F32, "acc_f32");
        Value scale = e.emit("mul", List.of(a.input(1), b.input(1)), Map.of(), "scale");
        e.produce("mul", List.of(accF, scale), Map.of(), e.node.output());
    }

    private static Value zeroPoint(Node dq) {
        return dq.inputs().size() > 2 ? dq.input(2) : null;
    }

    private static boolean dequantizes(Node d) {
        if (d == null || !d.op().equals("dequantize_linear") || d.intAttr("block_size") != 0) {
            return false;
        }
        DType x = d.input(0).dtype();
        return (x == DType.U8 || x == DType.I8) && d.input(1).dtype() == DType.F32;
    }

    private static boolean perTensor(Node d) {
        return d.inputs().stream().skip(1).allMatch(p -> p.type().elementCount().equals(Dim.of(1)));
    }

    /** A scale (and zero point) per column of a [K, N] weight: rank 1, N long, along axis 1. */
    private static boolean perColumn(Node d) {
        TensorType w = d.input(0).type();
        long axis = d.intAttr("axis");
        return (axis == 1 || axis == -1)
                && d.inputs().stream()
                        .skip(1)
                        .allMatch(p -> p.type().rank() == 1 && p.type().dim(0).equals(w.dim(1)));
    }
}
