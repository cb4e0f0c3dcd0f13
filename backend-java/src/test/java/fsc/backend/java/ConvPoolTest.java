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

    /**
     * One jar for any image size: 2-D convs (im2col stem, depthwise, pointwise, band, a fused
     * activation) and pools over symbolic H and W, checked against the interpreter at sizes that
     * switch the conv kernel's buffers between calls and back.
     */
    @Test
    void symbolicSpatialSizes() throws Exception {
        GraphBuilder b = new GraphBuilder("image").symbol("H", 40).symbol("W", 40);
        Value x = b.input("x", f32(1, 3, "H", "W"));
        Value stem = b.node(
                "conv",
                "stem",
                List.of(
                        x,
                        b.constant("w0", TestGraphs.randomWeight(90, 16, 3, 3, 3)),
                        b.constant("b0", TestGraphs.randomWeight(91, 16))),
                attrs("pads", Attr.ints(1, 1, 1, 1), "strides", Attr.ints(2, 2)));
        Value act = b.node("relu", "stem_relu", List.of(stem), Map.of());
        Value dw = b.node(
                "conv",
                "depthwise",
                List.of(act, b.constant("w1", TestGraphs.randomWeight(92, 16, 1, 3, 3))),
                attrs("group", new Attr.Int(16), "pads", Attr.ints(1, 1, 1, 1), "strides", Attr.ints(2, 2)));
        Value pw = b.node(
                "conv",
                "pointwise",
                List.of(dw, b.constant("w2", TestGraphs.randomWeight(93, 24, 16, 1, 1))),
                Map.of());
        Value band = b.node(
                "conv",
                "band",
                List.of(pw, b.constant("w3", TestGraphs.randomWeight(94, 8, 24, 3, 3))),
                attrs("pads", Attr.ints(1, 1, 1, 1)));
        b.output(band);
        b.output(b.node(
                "max_pool",
                "maxpool",
                List.of(act),
                attrs("kernel_shape", Attr.ints(3, 2), "pads", Attr.ints(1, 0, 1, 0), "strides", Attr.ints(2, 2))));
        b.output(b.node(
                "average_pool",
                "avgpool",
                List.of(x),
                attrs(
                        "kernel_shape",
                        Attr.ints(3, 3),
                        "pads",
                        Attr.ints(1, 1, 1, 1),
                        "count_include_pad",
                        new Attr.Int(1))));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 2)) {
            long[][] sizes = {{17, 23}, {32, 32}, {5, 9}, {17, 23}};
            for (int i = 0; i < sizes.length; i++) {
                h.assertMatchesInterpreter(
                        TestGraphs.randomInputs(g, Map.of("H", sizes[i][0], "W", sizes[i][1]), 95 + i), 1e-4);
            }
        }
    }
}
