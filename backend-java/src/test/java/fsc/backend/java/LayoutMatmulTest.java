package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.passes.LayoutPass;
import fsc.passes.PassContext;
import fsc.runtime.kernels.Sgemm;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Weights the {@code layout} pass packed at compile time: used in place when the panel width is
 * this CPU's (0 stands for that), repacked at construction when it is not; both against the
 * interpreter, which unpacks the panels.
 */
class LayoutMatmulTest {
    @TempDir
    Path dir;

    private static Graph graph() {
        GraphBuilder b = new GraphBuilder("laid_out");
        Value x = b.input("x", f32(3, 5, 33));
        Value v = b.input("v", f32(33));
        Value a = b.input("a", f32(6, 33));
        Value w = b.constant("w", TestGraphs.randomWeight(10, 33, 47));
        Value wt = b.constant("wt", TestGraphs.randomWeight(11, 47, 33));
        Value bias = b.constant("bias", TestGraphs.randomWeight(12, 47));
        b.output(b.node("matmul", "packed", List.of(x, w), Map.of()));
        b.output(b.node("matmul", "vector_left", List.of(v, w), Map.of()));
        b.output(b.node("gemm", "gemm_trans_b", List.of(a, wt, bias), attrs("trans_b", new Attr.Int(1))));
        b.output(b.node("gemm", "gemm_plain", List.of(a, w), Map.of()));
        return b.build();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4, 48})
    void packedWeightsMatchTheInterpreter(int panel) throws Exception {
        int width = panel == 0 ? Sgemm.panelWidth() : panel;
        Graph g =
                new LayoutPass().run(graph(), PassContext.of(Map.of("layout.panel", Integer.toString(width)), d -> {}));
        assertTrue(g.constants().stream()
                .allMatch(c -> c.value().type().layout().equals("panel" + width)
                        || c.value().name().equals("bias")));
        try (ModelHarness h = ModelHarness.compile(g, dir, 2)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 7), 1e-5);
        }
    }
}
