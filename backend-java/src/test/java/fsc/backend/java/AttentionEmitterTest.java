package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code attention} against the interpreter: broadcast masks, grouped-query heads, causal, odd head sizes. */
class AttentionEmitterTest {
    @TempDir
    Path dir;

    private static TensorType t(Object... dims) {
        return new TensorType(
                DType.F32,
                java.util.Arrays.stream(dims)
                        .map(d -> d instanceof String s ? Dim.sym(s) : Dim.of(((Number) d).longValue()))
                        .toList());
    }

    @Test
    void maskedGroupedAndCausal() throws Exception {
        GraphBuilder b = new GraphBuilder("attn").symbol("B", 3).symbol("S", 20);
        Value q = b.input("q", t("B", 4, "S", 19));
        Value k = b.input("k", t("B", 2, "S", 19));
        Value v = b.input("v", t("B", 2, "S", 5));
        Value mask = b.input("mask", t("B", 1, 1, "S"));
        b.output(b.node("attention", "masked", List.of(q, k, v, mask), attrs("scale", new Attr.Float(0.3))));
        b.output(b.node("attention", "causal", List.of(q, k, v), attrs("causal", new Attr.Str("upper_left"))));
        b.output(b.node(
                "attention",
                "capped",
                List.of(q, k, v, b.input("full_mask", t("S", "S"))),
                attrs("softcap", new Attr.Float(2.0))));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("B", 2L, "S", 17L), 3), 1e-5);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("B", 1L, "S", 1L), 4), 1e-5);
        }
    }
}
