package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * Dead-code elimination: keeps what the graph outputs need and drops the rest: nodes none of whose
 * outputs is used, constants no node reads and weights no constant names. Graph inputs stay even
 * when unused, because they are the model's calling convention.
 *
 * <pre>
 * %s = shape(%x)                       // only fed a reshape that fold rewrote
 * %y = reshape(%x) {shape = <B, 384>}
 * return %y
 *   ⇒
 * %y = reshape(%x) {shape = <B, 384>}
 * return %y
 * </pre>
 *
 * One backward sweep over the node order suffices: nodes are topologically sorted, so every user of
 * a value comes after its definition.
 */
@PassInfo(name = "dce", summary = "remove nodes, constants and weights the graph outputs do not need")
public final class DcePass implements Pass {

    @Override
    public Graph run(Graph g, PassContext ctx) {
        Set<Value> live = Substitution.identitySet(g.outputs());
        List<Node> kept = new ArrayList<>();
        for (Node n : g.nodes().reversed()) {
            if (n.outputs().stream().anyMatch(live::contains)) {
                kept.add(n);
                live.addAll(n.inputs());
            }
        }
        Collections.reverse(kept);
        List<Constant> constants =
                g.constants().stream().filter(c -> live.contains(c.value())).toList();
        TreeMap<String, WeightData> weights = new TreeMap<>();
        for (Constant c : constants) {
            weights.put(c.weight(), g.weights().get(c.weight()));
        }
        int removedNodes = g.nodes().size() - kept.size();
        int removedConstants = g.constants().size() - constants.size();
        int removedWeights = g.weights().byName().size() - weights.size();
        if (removedNodes == 0 && removedConstants == 0 && removedWeights == 0) {
            return g;
        }
        ctx.note("removed " + removedNodes + " nodes, " + removedConstants + " constants, " + removedWeights
                + " weights");
        return g.withBody(constants, kept, g.outputs(), new Weights(weights));
    }
}
