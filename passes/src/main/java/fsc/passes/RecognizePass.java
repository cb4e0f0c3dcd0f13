package fsc.passes;

import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Rewrites decomposed patterns into the high-level ops the backends have fused kernels for:
 * LayerNorm, RMSNorm, GELU (erf and tanh forms), SiLU and scaled-dot-product attention. Each
 * pattern is one {@link Recognizer}.
 *
 * <pre>
 * %m = reduce_mean(%x) {axes = [-1]}
 * %d = sub(%x, %m)
 * %p = pow(%d, 2.0)
 * %v = reduce_mean(%p) {axes = [-1]}
 * %e = add(%v, 1e-12)
 * %s = sqrt(%e)
 * %n = div(%d, %s)
 * %w = mul(%n, %gamma)
 * %y = add(%w, %beta)
 *   ⇒
 * %y = layer_norm(%x, %gamma, %beta) {axis = -1, epsilon = 1e-12}
 * </pre>
 *
 * Nodes are visited last to first, so the widest pattern claims a node before a narrower one
 * could: the bias {@code add} of a LayerNorm is seen before its {@code mul}, and the {@code mul}
 * is then part of the match. The replacement keeps the anchor's output values, so no use is
 * rewritten; the pattern's inner nodes are dropped once nothing reads them. An inner value that
 * something outside the pattern still reads keeps its node, so a match is always correct, at worst
 * computing that piece twice.
 */
@PassInfo(
        name = "recognize",
        summary = "rewrite decomposed LayerNorm, RMSNorm, GELU, SiLU and attention into single ops")
public final class RecognizePass implements Pass {
    /** Tried in this order at every anchor: LayerNorm before RMSNorm, whose pattern is LayerNorm's tail. */
    private static final List<Recognizer> RECOGNIZERS = List.of(
            new NormRecognizers.LayerNorm(),
            new NormRecognizers.RmsNorm(),
            new ActivationRecognizers.Gelu(),
            new ActivationRecognizers.Silu(),
            new AttentionRecognizer());

    @Override
    public Graph run(Graph g, PassContext ctx) {
        PatternGraph pg = new PatternGraph(g);
        Map<Node, List<Node>> replaced = new IdentityHashMap<>();
        for (Node n : g.nodes().reversed()) {
            for (Recognizer r : RECOGNIZERS) {
                List<Node> m = r.match(n, pg);
                if (m != null) {
                    replaced.put(n, m);
                    break;
                }
            }
        }
        if (replaced.isEmpty()) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        Set<Node> created = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : g.nodes()) {
            List<Node> r = replaced.getOrDefault(n, List.of(n));
            nodes.addAll(r);
            if (r.getLast() != n) {
                created.add(r.getLast());
            }
        }
        List<Node> kept = dropUnread(nodes, g.outputs());
        // Counted after the sweep: a match inside a wider match's pattern is dead and not reported.
        TreeMap<String, Integer> counts = new TreeMap<>();
        kept.stream().filter(created::contains).forEach(n -> counts.merge(n.op(), 1, Integer::sum));
        ctx.note("recognized " + counts);
        return g.withNodes(kept);
    }

    /**
     * Drops nodes whose outputs nothing reads any more: the inner nodes of the matched patterns.
     * A backward sweep suffices because the nodes are in execution order.
     */
    static List<Node> dropUnread(List<Node> nodes, List<Value> graphOutputs) {
        Set<Value> read = Substitution.identitySet(graphOutputs);
        List<Node> kept = new ArrayList<>();
        for (Node n : nodes.reversed()) {
            if (n.outputs().stream().anyMatch(read::contains)) {
                kept.add(n);
                read.addAll(n.inputs());
            }
        }
        Collections.reverse(kept);
        return kept;
    }
}
