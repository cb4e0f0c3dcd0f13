package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.ops.AttentionLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Lets {@code attention} read and write its operands sequence-major ({@link AttentionLayout}) where
 * an exporter put {@code transpose(perm = [0, 2, 1, 3])} around it: the projections produce {@code
 * [B,S,H·D]}, reshaped to {@code [B,S,H,D]}, and a BERT-style export transposes q, k and v to {@code
 * [B,H,S,D]} for the attention and its output back. Each such transpose was a copy of the whole
 * tensor per layer (MiniLM: 24 per call); the attention kernel reads either layout in place.
 *
 * <pre>
 * %qt: f32[B,12,S,32] = transpose(%q) {perm = [0, 2, 1, 3]}        // and kt, vt alike
 * %a:  f32[B,12,S,32] = attention(%qt, %kt, %vt, %mask)
 * %o:  f32[B,S,12,32] = transpose(%a) {perm = [0, 2, 1, 3]}
 *   ⇒
 * %o:  f32[B,S,12,32] = attention(%q, %k, %v, %mask) {layout = 15}
 * </pre>
 *
 * <p>An input transpose is bypassed whatever else reads it (it stays for those readers; the dce
 * after this pass removes it when none is left); the output is written sequence-major only when its
 * one reader is such a transpose, it is not a graph output and no node of the graph has a region
 * that could read it.
 */
@PassInfo(
        name = "attention-layout",
        summary = "read attention's q, k, v and write its output sequence-major in place of the transposes around it")
public final class AttentionLayoutPass implements Pass {
    private static final long[] SWAP_HEADS_AND_SEQUENCE = {0, 2, 1, 3};

    @Override
    public Graph run(Graph g, PassContext ctx) {
        Map<Value, Node> producer = new IdentityHashMap<>();
        Map<Value, List<Node>> readers = new IdentityHashMap<>(); // one entry per input read
        for (Node n : g.nodes()) {
            n.outputs().forEach(v -> producer.put(v, n));
            n.inputs().forEach(v -> readers.computeIfAbsent(v, k -> new ArrayList<>())
                    .add(n));
        }
        Set<Value> graphOutputs = Collections.newSetFromMap(new IdentityHashMap<>());
        graphOutputs.addAll(g.outputs());
        boolean hasRegions = g.nodes().stream().anyMatch(n -> n.hasRegions() || n.body() != null);
        Map<Node, Node> rewritten = new IdentityHashMap<>();
        Set<Node> absorbed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : g.nodes()) {
            if (!n.op().equals("attention")) {
                continue;
            }
            long before = n.has("layout") ? n.intAttr("layout") : 0;
            long layout = before;
            List<Value> in = new ArrayList<>(n.inputs());
            long[] bits = {AttentionLayout.Q_SEQ_MAJOR, AttentionLayout.K_SEQ_MAJOR, AttentionLayout.V_SEQ_MAJOR};
            for (int i = 0; i < 3; i++) {
                Node t = producer.get(in.get(i));
                if ((layout & bits[i]) == 0 && swapsHeadsAndSequence(t)) {
                    in.set(i, t.input(0));
                    layout |= bits[i];
                }
            }
            List<Value> out = n.outputs();
            Value y = n.output();
            // Only where no region could capture y: its readers inside a body are not counted here.
            List<Node> readersOfY = readers.getOrDefault(y, List.of());
            Node back =
                    !hasRegions && readersOfY.size() == 1 && !graphOutputs.contains(y) ? readersOfY.getFirst() : null;
            if ((layout & AttentionLayout.OUT_SEQ_MAJOR) == 0 && swapsHeadsAndSequence(back)) {
                out = back.outputs(); // the transpose's [B,S,H,D] value, written by the attention itself
                layout |= AttentionLayout.OUT_SEQ_MAJOR;
                absorbed.add(back);
            }
            if (layout != before) {
                TreeMap<String, Attr> attrs = new TreeMap<>(n.attrs());
                attrs.put("layout", Attr.of(layout));
                rewritten.put(n, new Node(n.op(), n.name(), in, out, attrs));
            }
        }
        if (rewritten.isEmpty()) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!absorbed.contains(n)) {
                nodes.add(rewritten.getOrDefault(n, n));
            }
        }
        return g.withNodes(nodes);
    }

    /** Whether {@code t} is a transpose of a 4-D tensor swapping axes 1 and 2. */
    private static boolean swapsHeadsAndSequence(Node t) {
        return t != null
                && t.op().equals("transpose")
                && t.inputs().size() == 1
                && t.input(0).type().rank() == 4
                && t.has("perm")
                && Arrays.equals(t.intsAttr("perm"), SWAP_HEADS_AND_SEQUENCE);
    }
}
