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

/** conv (im2col + GEMM) and window pools against the interpreter, with pads, strides, dilation, groups. */
class ConvPoolTest {
    @TempDir
    Path dir;

    @Test
    void convolutionsAndPools() throws Exception {
        GraphBuilder b = new GraphBuilder("convs").symbol("N", 4);
        Value x = b.input("x", f32("N", 4, 9, 11));
        Value x1 = b.input("x1", f32(2, 3, 17));
        Value w = b.constant("w", TestGraphs.randomWeight(80, 6, 2, 3, 3));
        Value bias = b.constant("b", TestGraphs.randomWeight(81, 6));
        Value w1 = b.constant("w1", TestGraphs.randomWeight(82, 5, 3, 4));
        b.output(b.node(
                "conv",
                "grouped",
                List.of(x, w, bias),
                attrs(
                        "group", new Attr.Int(2),
                        "pads", Attr.ints(1, 0, 2, 1),
                        "strides", Attr.ints(2, 1),
                        "dilations", Attr.ints(1, 2))));
        b.output(b.node("conv", "conv1d", List.of(x1, w1), attrs("auto_pad", new Attr.Str("SAME_UPPER"))));
        b.output(b.node(
                "max_pool",
                "maxpool",
                List.of(x),
                attrs(
                        "kernel_shape", Attr.ints(3, 2),
                        "pads", Attr.ints(1, 1, 1, 1),
                        "strides", Attr.ints(2, 2),
                        "ceil_mode", new Attr.Int(1))));
        b.output(b.node(
                "average_pool",
                "avgpool_pad",
                List.of(x),
                attrs(
                        "kernel_shape", Attr.ints(3, 3),
                        "pads", Attr.ints(1, 1, 1, 1),
                        "count_include_pad", new Attr.Int(1))));
        b.output(b.node(
                "average_pool", "avgpool", List.of(x1), attrs("kernel_shape", Attr.ints(4), "strides", Attr.ints(3))));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 2)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("N", 1L), 83), 1e-5);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("N", 3L), 84), 1e-5);
        }
    }
}
