package fsc.passes;

import static fsc.passes.TestGraphs.none;
import static fsc.passes.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InterpreterCheckTest {

    /** Keeps every type but computes something else: relu becomes neg. */
    @PassInfo(name = "miscompile", summary = "test only: replaces relu by neg")
    static final class Miscompile implements Pass {
        @Override
        public Graph run(Graph g, PassContext ctx) {
            return g.withNodes(g.nodes().stream()
                    .map(n -> n.op().equals("relu") ? new Node("neg", n.name(), n.inputs(), n.outputs(), n.attrs()) : n)
                    .toList());
        }
    }

    @Test
    void namesThePassThatChangedTheResult() {
        GraphBuilder b = new GraphBuilder("main").symbol("S", 8);
        Graph g = b.output(b.node("relu", "y", List.of(b.input("x", type(DType.F32, "S", 4))), none()))
                .build();
        PassManager pm = PassManager.builder()
                .afterEachPass(InterpreterCheck.randomInputs(g, 1, 1e-5))
                .build();
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> pm.run(g, List.of(new DcePass(), new Miscompile()), PassContext.defaults()));
        assertEquals(
                "pass 'miscompile' (#2) changed output 'y'",
                e.getMessage().substring(0, e.getMessage().indexOf(':')));
    }

    @Test
    void acceptsTheDefaultPipelineOnMiniBert() {
        PassManager pm = PassManager.builder()
                .afterEachPass(InterpreterCheck.withInputs(Map.of("B", 2L, "S", 4L), MiniBert.inputs(2, 4), 1e-5))
                .build();
        PipelineResult r = pm.run(MiniBert.build(), Pipelines.cpuDefault(), PassContext.defaults());
        assertEquals(Pipelines.cpuDefault().size(), r.runs().size());
    }
}
