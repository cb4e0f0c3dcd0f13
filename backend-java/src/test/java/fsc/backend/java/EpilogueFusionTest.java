package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bias and activation after a weight GEMM run in the GEMM's epilogue; observable intermediates stop fusion. */
class EpilogueFusionTest {
    @TempDir
    Path dir;

    @Test
    void linearLayersFuseWhereNothingElseReadsTheIntermediate() throws Exception {
        GraphBuilder b = new GraphBuilder("linear").symbol("S", 32);
        Value x = b.input("x", f32("S", 24));
        Value w = b.constant("w", TestGraphs.randomWeight(90, 24, 40));
        Value bias = b.constant("bias", TestGraphs.randomWeight(91, 40));
        Value w2 = b.constant("w2", TestGraphs.randomWeight(92, 40, 20));
        Value h = b.node("matmul", "fc1", List.of(x, w), Map.of());
        Value hb = b.node("add", "fc1_bias", List.of(bias, h), Map.of());
        Value act = b.node("gelu", "fc1_gelu", List.of(hb), Map.of());
        Value h2 = b.node("matmul", "fc2", List.of(act, w2), Map.of());
        Value r = b.node("relu", "fc2_relu", List.of(h2), Map.of());
        b.output(r);
        // fc3's biased sum is read twice: the bias still fuses, the activation must not.
        Value h3 = b.node("matmul", "fc3", List.of(x, w), Map.of());
        Value h3b = b.node("add", "fc3_bias", List.of(h3, bias), Map.of());
        b.output(b.node("gelu", "fc3_gelu", List.of(h3b), attrs("approximate", new Attr.Str("tanh"))));
        b.output(b.node("mul", "fc3_reuse", List.of(h3b, h3b), Map.of()));
        Graph g = b.build();
        String src =
                JavaBackend.sources(g, JavaBackendOptions.forModel("linear")).getFirst();
        assertTrue(src.contains("GemmEpilogue.Activation.GELU)"), src);
        assertTrue(src.contains("GemmEpilogue.Activation.RELU)"), src);
        assertFalse(src.contains("n1_add(") || src.contains("n2_gelu(") || src.contains("n4_relu("), src);
        assertTrue(src.contains("n7_gelu(") && !src.contains("n6_add("), src);
        assertTrue(src.contains("GemmEpilogue.of(constBuf[1], 0L, GemmEpilogue.Activation.NONE)"), src);
        try (ModelHarness model = ModelHarness.compile(g, dir, 2)) {
            model.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("S", 19L), 93), 1e-5);
        }
    }
}
