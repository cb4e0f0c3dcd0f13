package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code quantize} pass on a decoder: every constant read as a packed weight ({@code qmatmul}'s
 * weight, {@code embedding}'s table) that the {@link WeightRequantizer} converts gets its new data
 * and type, and the nodes reading it read the new constant (same name: the GGUF tensor's). With
 * {@code llamaCppActivations} (llama-cpp numerics), a {@code qmatmul} whose weight became a K-quant,
 * Q4_0 or Q8_0 quantizes its activations as llama.cpp does ({@link DType#llamaCppVecDotType}: Q8_K or
 * Q8_0), as the importer marks such weights read from a file.
 *
 * <pre>
 * %y: f32[T,64] = qmatmul(%h, %blk.0.attn_q.weight)      // f32[64,64] const
 *   ⇒ q8_0
 * %y: f32[T,64] = qmatmul(%h, %blk.0.attn_q.weight)      // q8_0[64,64] const
 * </pre>
 */
final class RequantizeWeights {
    private RequantizeWeights() {}

    static Graph run(Graph g, PassContext ctx, WeightRequantizer requantizer, boolean llamaCppActivations) {
        Map<Value, Boolean> packedUse = new IdentityHashMap<>();
        Map<Value, Boolean> otherUse = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            for (int i = 0; i < n.inputs().size(); i++) {
                boolean packed = (n.op().equals("qmatmul") && i == 1) || (n.op().equals("embedding") && i == 0);
                (packed ? packedUse : otherUse).put(n.input(i), true);
            }
        }
        Map<Value, Value> replaced = new IdentityHashMap<>();
        TreeMap<String, WeightData> weights = new TreeMap<>(g.weights().byName());
        List<Constant> constants = new ArrayList<>();
        Map<DType, Integer> counts = new TreeMap<>();
        for (Constant c : g.constants()) {
            Value v = c.value();
            WeightData now = packedUse.containsKey(v)
                    ? requantizer.requantize(c.weight(), g.weights().get(c.weight()))
                    : null;
            if (now == null || now.dtype() == v.dtype()) {
                constants.add(c);
                continue;
            }
            if (otherUse.containsKey(v)) {
                throw new IllegalStateException("quantize: weight " + c.weight() + " is read by a node that is not"
                        + " qmatmul or embedding; expected packed-weight reads only");
            }
            if (!now.dims().equals(g.weights().get(c.weight()).dims())) {
                throw new IllegalStateException("quantize: re-quantized " + c.weight() + " has dims " + now.dims()
                        + ", expected " + g.weights().get(c.weight()).dims());
            }
            Value nv = v.withType(v.type().withDType(now.dtype()));
            replaced.put(v, nv);
            weights.put(c.weight(), now);
            constants.add(new Constant(nv, c.weight()));
            counts.merge(now.dtype(), 1, Integer::sum);
        }
        if (replaced.isEmpty()) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            List<Value> in =
                    n.inputs().stream().map(v -> replaced.getOrDefault(v, v)).toList();
            Node m = in.equals(n.inputs()) ? n : n.withInputs(in);
            if (llamaCppActivations && m.op().equals("qmatmul") && m.input(1) != n.input(1)) {
                m = withActivationsOf(m, m.input(1).dtype());
            }
            nodes.add(m);
        }
        StringBuilder summary = new StringBuilder();
        counts.forEach((t, k) -> summary.append(summary.isEmpty() ? "" : ", ")
                .append(k)
                .append(' ')
                .append(t.irName()));
        ctx.note("re-quantized " + replaced.size() + " weights: " + summary);
        return g.withBody(constants, nodes, g.outputs(), new Weights(weights));
    }

    /** {@code qmatmul} node {@code m} quantizing its activations as llama.cpp does for weight type {@code w}. */
    private static Node withActivationsOf(Node m, DType w) {
        Map<String, Attr> attrs = new LinkedHashMap<>(m.attrs());
        String activations = w.llamaCppVecDotType();
        if (activations == null) {
            attrs.remove("activations");
        } else {
            attrs.put("activations", new Attr.Str(activations));
        }
        return m.withAttrs(attrs);
    }
}
