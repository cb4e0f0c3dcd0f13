package fsc.tests;

import static fsc.tests.OnnxProtos.floats;
import static fsc.tests.OnnxProtos.ints;
import static fsc.tests.OnnxProtos.model;
import static fsc.tests.OnnxProtos.uniform;
import static fsc.tests.OnnxProtos.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.frontend.onnx.proto.Onnx;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ConvTranspose whose kernel equals its stride (the upsampling layer of detection and segmentation
 * heads), which the importer lowers to one pointwise conv and a depth-to-space instead of a
 * zero-stuffed conv, against ONNX Runtime: 1-D, 2-D with bias and batch 2, 3-D with a stride-1 axis,
 * odd sizes. The compiled IR must show the pointwise form (no stuffing mask).
 */
class ConvTransposeUpsampleVsOrtTest {
    @TempDir
    Path dir;

    @Test
    void oneDimensionalKernelThreeStrideThree() throws Exception {
        check("ct1d", new long[] {1, 4, 7}, new long[] {4, 3, 3}, new long[] {3}, false);
    }

    @Test
    void twoDimensionalTwoByTwoStrideTwoWithBias() throws Exception {
        check("ct2d", new long[] {2, 5, 7, 9}, new long[] {5, 3, 2, 2}, new long[] {2, 2}, true);
    }

    @Test
    void threeDimensionalWithAStrideOneAxis() throws Exception {
        check("ct3d", new long[] {1, 3, 3, 4, 5}, new long[] {3, 2, 2, 1, 3}, new long[] {2, 1, 3}, true);
    }

    private void check(String name, long[] xShape, long[] wShape, long[] strides, boolean bias) throws Exception {
        Random r = new Random(name.hashCode());
        float[] w = uniform(r, wShape, -1, 1);
        float[] b = uniform(r, new long[] {wShape[1]}, -1, 1);
        long[] yShape = xShape.clone();
        yShape[1] = wShape[1];
        for (int i = 0; i < strides.length; i++) {
            yShape[2 + i] = xShape[2 + i] * strides[i];
        }
        List<String> in = new ArrayList<>(List.of("x", "w"));
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder()
                .setName(name)
                .addInput(value("x", xShape))
                .addOutput(value("y", yShape))
                .addInitializer(floats("w", wShape, w));
        if (bias) {
            g.addInitializer(floats("b", new long[] {wShape[1]}, b));
            in.add("b");
        }
        Onnx.NodeProto.Builder node = Onnx.NodeProto.newBuilder()
                .setOpType("ConvTranspose")
                .setName(name)
                .addAllInput(in)
                .addOutput("y");
        node.addAttribute(ints("kernel_shape", java.util.Arrays.copyOfRange(wShape, 2, wShape.length)));
        node.addAttribute(ints("strides", strides));
        g.addNode(node);
        Onnx.ModelProto m = model(g, 8, 13);
        Path onnx = dir.resolve(name + ".onnx");
        Files.write(onnx, m.toByteArray());
        Path jar = dir.resolve(name + ".jar");
        Path ir = dir.resolve(name + ".ir");
        assertEquals(
                0,
                Main.execute("compile", onnx.toString(), "-o", jar.toString(), "--dump-ir", ir.toString(), "--quiet"));
        String imported;
        try (var files = Files.list(ir)) {
            imported = Files.readString(files.filter(p -> p.toString().endsWith(".fsir"))
                    .sorted()
                    .findFirst()
                    .orElseThrow());
        }
        assertTrue(imported.contains("_patches"), "pointwise form:\n" + imported);
        assertFalse(imported.contains("stuff"), "no zero stuffing:\n" + imported);
        Map<String, Tensor> input = Map.of("x", Tensor.ofFloats(xShape, uniform(new Random(5), xShape, -1, 1)));
        float[] want;
        try (OrtOracle o = new OrtOracle(onnx, 1)) {
            want = o.run(input).get("y");
        }
        float[] got;
        try (CompiledModel c = ArtifactLoader.open(jar, 1)) {
            got = c.run(input).get("y").toFloatArray();
        }
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5, name + " element " + i);
        }
    }
}
