package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.text.IrPrinter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The default CPU pipeline on a faithful miniature of the MiniLM export ({@link MiniBert}): no
 * shape arithmetic survives, every reshape is in folded form, and the outputs are unchanged.
 */
class MiniBertTest {

    private static PipelineResult optimize(Graph g) {
        // The panel width is pinned so the golden dump does not depend on the machine's vectors.
        return PassManager.builder()
                .build()
                .run(g, Pipelines.cpuDefault(), PassContext.of(java.util.Map.of("layout.panel", "16"), d -> {}));
    }

    @Test
    void shapeArithmeticIsGoneAndOutputsAreUnchanged() {
        Graph in = MiniBert.build();
        Graph out = optimize(in).graph();
        assertTrue(in.nodes().stream().anyMatch(n -> n.op().equals("shape")), "the input has shape chains");
        for (Node n : out.nodes()) {
            assertFalse(List.of("shape", "concat").contains(n.op()), "left over: " + n.where());
            if (n.op().equals("gather")) {
                assertTrue(n.input(0).dtype().isFloat(), "gather on a shape left over: " + n.where());
            }
            if (List.of("reshape", "unsqueeze", "squeeze", "slice").contains(n.op())) {
                assertEquals(1, n.inputs().size(), n.where() + " is still in operand form");
            }
            if (n.op().equals("reshape")) {
                assertTrue(n.has("shape"), n.where() + " has no shape attribute");
            }
        }
        assertEquals(
                List.of(
                        "add",
                        "attention",
                        "cast",
                        "fused",
                        "gather",
                        "gelu",
                        "identity",
                        "layer_norm",
                        "matmul",
                        "reshape",
                        "slice",
                        "unsqueeze"), // no transpose: attention-layout reads q, k, v and writes its output in place
                out.nodes().stream().map(Node::op).distinct().sorted().toList());
        GoldenFiles.assertGolden("cpu-default", "mini_bert", IrPrinter.print(out));
        for (int seq : new int[] {1, 5, 16}) {
            Equivalence.assertSameOutputs(in, out, Map.of("B", 2L, "S", (long) seq), MiniBert.inputs(2, seq));
        }
    }

    @Test
    void pipelineIsDeterministic() {
        assertEquals(
                IrPrinter.print(optimize(MiniBert.build()).graph()),
                IrPrinter.print(optimize(MiniBert.build()).graph()));
    }

    @Test
    void secondRunChangesNothing() {
        Graph once = optimize(MiniBert.build()).graph();
        assertEquals(IrPrinter.print(once), IrPrinter.print(optimize(once).graph()));
    }
}
