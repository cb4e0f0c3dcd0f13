package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static fsc.backend.java.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.runtime.RuntimeFailure;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One jar, symbolic B and S: two shapes through the same model, then the bound and consistency checks. */
class SymbolicDimsTest {
    @TempDir
    Path dir;

    /** A miniature attention block: projection, head split, scores with mask, softmax, context. */
    static Graph attention() {
        GraphBuilder b = new GraphBuilder("tiny_attention").symbol("B", 4).symbol("S", 64);
        Value x = b.input("x", f32("B", "S", 16));
        Value mask = b.input("mask", type(DType.I64, "B", "S"));
        Value w = b.constant("w", TestGraphs.randomWeight(40, 16, 16));
        Value bias = b.constant("b", TestGraphs.randomWeight(41, 16));
        Value proj = b.node("add", "bias", List.of(b.node("matmul", "proj", List.of(x, w), Map.of()), bias), Map.of());
        Value heads = b.node(
                "reshape",
                "split",
                List.of(proj),
                attrs("shape", new Attr.Dims(List.of(Dim.sym("B"), Dim.sym("S"), Dim.of(2), Dim.of(8)))));
        Value q = b.node("transpose", "q", List.of(heads), attrs("perm", Attr.ints(0, 2, 1, 3)));
        Value kt = b.node("transpose", "kt", List.of(heads), attrs("perm", Attr.ints(0, 2, 3, 1)));
        Value scores = b.node("matmul", "scores", List.of(q, kt), Map.of());
        Value m = b.node("cast", "mask_f", List.of(mask), attrs("to", new Attr.Type(DType.F32)));
        Value m4 = b.node("unsqueeze", "mask4", List.of(m), attrs("axes", Attr.ints(1, 2)));
        Value masked = b.node("add", "masked", List.of(scores, m4), Map.of());
        Value p = b.node("softmax", "probs", List.of(masked), attrs("axis", new Attr.Int(-1)));
        Value ctx = b.node("matmul", "context", List.of(p, q), Map.of());
        b.output(b.node("reduce_mean", "pool", List.of(ctx), attrs("axes", Attr.ints(2), "keepdims", new Attr.Int(0))));
        return b.build();
    }

    @Test
    void twoShapesThroughOneJarThenBoundChecks() throws Exception {
        Graph g = attention();
        try (ModelHarness h = ModelHarness.compile(g, dir, 2)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("B", 2L, "S", 13L), 11), 1e-5);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("B", 1L, "S", 40L), 12), 1e-5);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("B", 2L, "S", 13L), 13), 1e-5);

            Map<String, HostTensor> tooLong = TestGraphs.randomInputs(g, Map.of("B", 1L, "S", 65L), 14);
            RuntimeFailure f = assertThrows(RuntimeFailure.class, () -> h.run(tooLong));
            assertEquals(
                    "input 'x' dim 1 (S) is 65, must be 1..64 (the bound the model was compiled for)", f.getMessage());

            Map<String, HostTensor> mismatch = new HashMap<>(TestGraphs.randomInputs(g, Map.of("B", 1L, "S", 8L), 15));
            mismatch.put("mask", HostTensor.random(DType.I64, new long[] {1, 9}, new java.util.Random(1)));
            f = assertThrows(RuntimeFailure.class, () -> h.run(mismatch));
            assertEquals("input 'mask' dim 1 (S) is 9 but input 'x' set S=8", f.getMessage());
        }
    }
}
