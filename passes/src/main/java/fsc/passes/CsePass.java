package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * Common-subexpression elimination: a node with the same op, the same operands and the same
 * attributes as an earlier one is dropped and its users read the earlier node's outputs. Constants
 * merge too: two constants naming one weight, or two small weights with identical bytes (folding
 * leaves many copies of {@code i64[1] = [0]}). A MiniLM export computes {@code shape(%x)} of the same
 * tensor in every layer; after this pass it is computed once.
 *
 * <pre>
 * %a = shape(%x)
 * %b = shape(%x)
 * %c = concat(%a, %b) {axis = 0}
 *   ⇒
 * %a = shape(%x)
 * %c = concat(%a, %a) {axis = 0}
 * </pre>
 *
 * One forward sweep, so chains collapse in one run: once {@code %b} became {@code %a}, nodes reading
 * {@code %b} match nodes reading {@code %a}. A value that is a graph output is never replaced (its
 * name is part of the model's interface), and nondeterministic ops never merge. The now unused
 * constants are left for {@code dce}.
 */
@PassInfo(name = "cse", summary = "merge nodes and constants that compute the same value")
public final class CsePass implements Pass {

    /** Weights up to this size are compared by contents; bigger ones only by name (reading them costs). */
    private static final int MAX_COMPARED_BYTES = 64 * 1024;

    private record NodeKey(String op, List<Value> inputs, SortedMap<String, Attr> attrs) {}

    private record WeightKey(DType dtype, List<Long> dims, ByteBuffer bytes) {}

    @Override
    public Graph run(Graph g, PassContext ctx) {
        Set<Value> outputs = Substitution.identitySet(g.outputs());
        Substitution subst = new Substitution();
        int mergedConstants = mergeConstants(g, outputs, subst);
        // Lookup only, never iterated: hash order cannot leak into the result.
        Map<NodeKey, Node> seen = new HashMap<>();
        List<Node> nodes = new ArrayList<>();
        int mergedNodes = 0;
        for (Node original : g.nodes()) {
            Node n = subst.apply(original);
            // Region-owning nodes are never merged: the key does not see their regions.
            if (!OpTraits.isDeterministic(n.op()) || n.hasRegions()) {
                nodes.add(n);
                continue;
            }
            NodeKey key = new NodeKey(n.op(), n.inputs(), n.attrs());
            Node earlier = seen.get(key);
            if (earlier != null && canReplace(n, earlier, outputs)) {
                for (int i = 0; i < n.outputs().size(); i++) {
                    subst.replace(n.outputs().get(i), earlier.outputs().get(i));
                }
                mergedNodes++;
                continue;
            }
            seen.putIfAbsent(key, n);
            nodes.add(n);
        }
        if (subst.isEmpty()) {
            return g;
        }
        ctx.note("merged " + mergedNodes + " nodes and " + mergedConstants + " constants");
        return g.withBody(g.constants(), nodes, g.outputs(), g.weights());
    }

    private static boolean canReplace(Node n, Node earlier, Set<Value> graphOutputs) {
        for (int i = 0; i < n.outputs().size(); i++) {
            Value v = n.outputs().get(i);
            if (graphOutputs.contains(v)
                    || !v.type().equals(earlier.outputs().get(i).type())) {
                return false;
            }
        }
        return true;
    }

    /** Records replacements for duplicate constants (the first in graph order wins); returns how many. */
    private static int mergeConstants(Graph g, Set<Value> graphOutputs, Substitution subst) {
        Map<String, Value> byName = new HashMap<>();
        Map<WeightKey, Value> byContents = new HashMap<>();
        int merged = 0;
        for (Constant c : g.constants()) {
            WeightData w = g.weights().get(c.weight());
            Value first = byName.putIfAbsent(c.weight(), c.value());
            if (first == null && w.bytes().remaining() <= MAX_COMPARED_BYTES) {
                first = byContents.putIfAbsent(new WeightKey(w.dtype(), w.dims(), w.view()), c.value());
            }
            if (first != null
                    && !graphOutputs.contains(c.value())
                    && first.type().equals(c.value().type())) {
                subst.replace(c.value(), first);
                merged++;
            }
        }
        return merged;
    }
}
