package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Graph;
import fsc.ir.Node;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PassCheckReport}: a line per pass with each output's error, and the first diverging node. */
class PassCheckReportTest {

    @Test
    void theDefaultPipelineIsWithinToleranceOnMiniBert() {
        Graph g = MiniBert.build();
        PassCheckReport check = PassCheckReport.randomInputs(g, 0, 1e-4);
        PassManager.builder().afterEachPass(check).build().run(g, Pipelines.cpuDefault(), PassContext.defaults());
        assertTrue(check.ok(), check.report());
        assertEquals(Pipelines.cpuDefault().size() + 1, check.report().lines().count(), check.report());
        assertTrue(check.report().contains("05 recognize     last_hidden_state max err"), check.report());
    }

    /** Turns the first gelu into a relu: the outputs move, and the gelu's value is where it starts. */
    @PassInfo(name = "break-gelu", summary = "test only: a miscompile")
    private static final class BreakGelu implements Pass {
        @Override
        public Graph run(Graph g, PassContext ctx) {
            List<Node> nodes = new ArrayList<>();
            boolean done = false;
            for (Node n : g.nodes()) {
                if (!done && n.op().equals("gelu")) {
                    n = new Node("relu", n.name(), n.inputs(), n.outputs(), java.util.Map.of());
                    done = true;
                }
                nodes.add(n);
            }
            return g.withNodes(nodes);
        }
    }

    @Test
    void namesTheFirstDivergingNode() {
        Graph g = MiniBert.build();
        PassCheckReport check = PassCheckReport.randomInputs(g, 0, 1e-4);
        List<Pass> pipeline = new ArrayList<>(Pipelines.cpuDefault().subList(0, 5));
        pipeline.add(new BreakGelu());
        PassManager.builder().afterEachPass(check).build().run(g, pipeline, PassContext.defaults());
        assertFalse(check.ok());
        assertTrue(
                check.failure()
                        .startsWith("pass 'break-gelu' (#6) changed the outputs beyond 1.0E-4; "
                                + "first diverging node: %mul_129 = relu"),
                check.failure());
        assertTrue(check.report().contains("BEYOND"), check.report());
    }
}
