package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static fsc.backend.java.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.runtime.RuntimeFailure;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gather, reductions, softmax and layer_norm against the interpreter. */
class GatherReduceTest {
    @TempDir
    Path dir;

    @Test
    void gatherRowsAndOtherAxes() throws Exception {
        GraphBuilder b = new GraphBuilder("gathers");
        Value ids = b.input("ids", type(DType.I64, 2, 7));
        Value cols = b.input("cols", type(DType.I32, 3));
        Value x = b.input("x", f32(4, 6, 5));
        Value table = b.constant("table", TestGraphs.randomWeight(20, 50, 16));
        b.output(b.node("gather", "embed", List.of(table, ids), attrs("axis", new Attr.Int(0))));
        b.output(b.node("gather", "middle", List.of(x, cols), attrs("axis", new Attr.Int(1))));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            long[] idv = {0, 49, -1, 3, 17, -50, 25, 1, 2, 3, 4, 5, 6, 48};
            HostTensor colv = HostTensor.ofInts(DType.I32, new long[] {3}, 5, -6, 2);
            Map<String, HostTensor> in = Map.of(
                    "ids",
                    HostTensor.ofLongs(new long[] {2, 7}, idv),
                    "cols",
                    colv,
                    "x",
                    HostTensor.random(DType.F32, new long[] {4, 6, 5}, new java.util.Random(7)));
            h.assertMatchesInterpreter(in, 0);
            Map<String, HostTensor> bad = new java.util.HashMap<>(in);
            bad.put("ids", HostTensor.ofLongs(new long[] {2, 7}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 50));
            RuntimeFailure f = assertThrows(RuntimeFailure.class, () -> h.run(bad));
            assertTrue(f.getMessage().contains("embed") && f.getMessage().contains("50"), f.getMessage());
        }
    }

    @Test
    void reductionsSoftmaxAndLayerNorm() throws Exception {
        GraphBuilder b = new GraphBuilder("reductions");
        Value x = b.input("x", f32(3, 4, 37));
        Value scale = b.constant("scale", TestGraphs.randomWeight(30, 37));
        Value shift = b.constant("shift", TestGraphs.randomWeight(31, 37));
        b.output(b.node(
                "reduce_mean", "mean_last", List.of(x), attrs("axes", Attr.ints(-1), "keepdims", new Attr.Int(1))));
        b.output(b.node(
                "reduce_sum", "sum_first", List.of(x), attrs("axes", Attr.ints(0), "keepdims", new Attr.Int(0))));
        b.output(b.node(
                "reduce_max", "max_middle", List.of(x), attrs("axes", Attr.ints(1), "keepdims", new Attr.Int(1))));
        b.output(b.node(
                "reduce_min", "min_outer", List.of(x), attrs("axes", Attr.ints(0, 2), "keepdims", new Attr.Int(0))));
        b.output(b.node("reduce_l2", "l2_all", List.of(x), attrs("keepdims", new Attr.Int(0))));
        b.output(b.node(
                "reduce_prod", "prod_last", List.of(x), attrs("axes", Attr.ints(2), "keepdims", new Attr.Int(0))));
        b.output(b.node("softmax", "softmax_last", List.of(x), attrs("axis", new Attr.Int(-1))));
        b.output(b.node("softmax", "softmax_middle", List.of(x), attrs("axis", new Attr.Int(1))));
        b.output(b.node("log_softmax", "log_softmax", List.of(x), attrs("axis", new Attr.Int(2))));
        b.output(b.node("layer_norm", "ln", List.of(x, scale, shift), attrs("epsilon", new Attr.Float(1e-5))));
        b.output(b.node("layer_norm", "ln_noshift", List.of(x, scale), Map.of()));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 8), 1e-5);
        }
    }
}
