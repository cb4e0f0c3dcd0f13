package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.RegionGraph;
import fsc.ir.Weights;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a pass inside control-flow regions too. Each region of an {@code if}, {@code loop} or {@code
 * scan} is lifted into a standalone graph ({@link RegionGraph#lift}, captured constants inlined so
 * fold sees them), the pass runs on it (recursively, for nested regions), and the result is lowered
 * back, constants the pass created inside being hoisted and captured. A pass therefore never sees a
 * region's nodes mixed with the outer ones: dce keeps what a region uses (it is an operand of the
 * node), cse never merges across a region boundary, and fuse never groups an outer node with an
 * inner one. Passes that place or pack for the whole graph ({@link Pass#recursesIntoRegions()}
 * false) leave regions alone.
 */
final class RegionPasses {
    private RegionPasses() {}

    static Graph run(Pass pass, Graph g, PassContext ctx) {
        Graph out = pass.run(g, ctx);
        if (out == null || !pass.recursesIntoRegions() || !RegionGraph.hasRegions(out.nodes())) {
            return out;
        }
        List<Node> nodes = new ArrayList<>();
        List<Constant> constants = out.constants();
        Weights weights = out.weights();
        boolean changed = false;
        Graph current = out;
        for (int i = 0; i < out.nodes().size(); i++) {
            Node n = out.nodes().get(i);
            if (!n.hasRegions()) {
                nodes.add(n);
                continue;
            }
            List<Graph> lifted = new ArrayList<>();
            boolean regionChanged = false;
            for (int r = 0; r < n.regions().size(); r++) {
                Graph in = RegionGraph.lift(current, n, r, out.name() + "_" + n.op() + i + "_r" + r, true);
                Graph done = run(pass, in, ctx);
                regionChanged |= done != in;
                lifted.add(done);
            }
            if (!regionChanged) {
                nodes.add(n);
                continue;
            }
            RegionGraph.Lowered low = RegionGraph.lower(current, n, lifted);
            nodes.add(low.node());
            constants = low.constants();
            weights = low.weights();
            current = current.withBody(constants, current.nodes(), current.outputs(), weights);
            changed = true;
        }
        return changed ? out.withBody(constants, nodes, out.outputs(), weights) : out;
    }
}
