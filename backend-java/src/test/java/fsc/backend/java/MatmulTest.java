package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;

import fsc.ir.Attr;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** matmul/gemm: packed constant weights, batched activations (serial and parallel over slices), gemm flags. */
class MatmulTest {
    @TempDir
    Path dir;

    private static Graph graph() {
        GraphBuilder b = new GraphBuilder("matmuls");
        Value x = b.input("x", f32(3, 5, 33));
        Value q = b.input("q", f32(2, 3, 7, 9));
        Value k = b.input("k", f32(2, 3, 9, 11));
        Value kb = b.input("kb", f32(3, 9, 11));
        Value m2 = b.input("m2", f32(9, 11));
        Value v = b.input("v", f32(33));
        Value a = b.input("a", f32(6, 33));
        Value w = b.constant("w", TestGraphs.randomWeight(10, 33, 47));
        Value wt = b.constant("wt", TestGraphs.randomWeight(11, 47, 33));
        Value bias = b.constant("bias", TestGraphs.randomWeight(12, 47));
        b.output(b.node("matmul", "packed", List.of(x, w), Map.of()));
        b.output(b.node("matmul", "batched", List.of(q, k), Map.of()));
        b.output(b.node("matmul", "batch_broadcast", List.of(q, kb), Map.of()));
        b.output(b.node("matmul", "activation_2d", List.of(q, m2), Map.of()));
        b.output(b.node("matmul", "vector_left", List.of(v, w), Map.of()));
        b.output(b.node("gemm", "gemm_packed", List.of(a, wt, bias), attrs("trans_b", new Attr.Int(1))));
        b.output(b.node(
                "gemm",
                "gemm_flags",
                List.of(a, w, bias),
                attrs("alpha", new Attr.Float(0.5), "beta", new Attr.Float(2.0))));
        return b.build();
    }

    @Test
    void singleThread() throws Exception {
        Graph g = graph();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 4), 1e-5);
        }
    }

    @Test
    void threeThreadsSplitBatchSlices() throws Exception {
        Graph g = graph();
        try (ModelHarness h = ModelHarness.compile(g, dir, 3)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 5), 1e-5);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 6), 1e-5);
        }
    }
}
