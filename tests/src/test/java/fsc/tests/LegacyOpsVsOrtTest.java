package fsc.tests;

import static fsc.tests.OnnxProtos.floatAttr;
import static fsc.tests.OnnxProtos.floatsAttr;
import static fsc.tests.OnnxProtos.ints;
import static fsc.tests.OnnxProtos.model;
import static fsc.tests.OnnxProtos.node;
import static fsc.tests.OnnxProtos.uniform;
import static fsc.tests.OnnxProtos.value;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.frontend.onnx.proto.Onnx;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The experimental ops ONNX dropped but ONNX Runtime still runs (Affine, ImageScaler, Crop), in
 * small generated opset-7 models, against ONNX Runtime: odd sizes, batch 2, both Crop forms (borders,
 * and a scale window at an offset) and a chain of all three as older vision exports use them.
 */
class LegacyOpsVsOrtTest {
    @TempDir
    Path dir;

    private static final long[] X = {2, 3, 5, 7};

    @Test
    void affine() throws Exception {
        check(
                "affine",
                X,
                X,
                node("Affine", List.of("x"), "y")
                        .addAttribute(floatAttr("alpha", -1.75f))
                        .addAttribute(floatAttr("beta", 0.3f)));
    }

    @Test
    void affineDefaultsAreIdentity() throws Exception {
        check("affine_default", X, X, node("Affine", List.of("x"), "y"));
    }

    @Test
    void imageScalerPerChannelBias() throws Exception {
        check(
                "image_scaler",
                X,
                X,
                node("ImageScaler", List.of("x"), "y")
                        .addAttribute(floatAttr("scale", 0.017f))
                        .addAttribute(floatsAttr("bias", -2.1f, 0.5f, 3.25f)));
    }

    @Test
    void cropByBorders() throws Exception {
        // border = [left, top, right, bottom]: rows 1..3, columns 2..5.
        check(
                "crop_borders",
                X,
                new long[] {2, 3, 3, 4},
                node("Crop", List.of("x"), "y").addAttribute(ints("border", 2, 1, 1, 1)));
    }

    @Test
    void cropByScaleWindow() throws Exception {
        check(
                "crop_scale",
                X,
                new long[] {2, 3, 2, 3},
                node("Crop", List.of("x"), "y")
                        .addAttribute(ints("border", 3, 2, 0, 0))
                        .addAttribute(ints("scale", 2, 3)));
    }

    @Test
    void chainAsOldVisionExportsUseIt() throws Exception {
        long[] y = {2, 3, 4, 4};
        check(
                "chain",
                X,
                y,
                node("ImageScaler", List.of("x"), "s")
                        .addAttribute(floatAttr("scale", 2f))
                        .addAttribute(floatsAttr("bias", 1f, 2f, 3f)),
                node("Crop", List.of("s"), "c").addAttribute(ints("border", 1, 0, 2, 1)),
                node("Affine", List.of("c"), "y")
                        .addAttribute(floatAttr("alpha", 0.5f))
                        .addAttribute(floatAttr("beta", -1f)));
    }

    private void check(String name, long[] xShape, long[] yShape, Onnx.NodeProto.Builder... nodes) throws Exception {
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder()
                .setName(name)
                .addInput(value("x", xShape))
                .addOutput(value("y", yShape));
        for (Onnx.NodeProto.Builder n : nodes) {
            g.addNode(n);
        }
        Onnx.ModelProto m = model(g, 3, 7);
        Path onnx = dir.resolve(name + ".onnx");
        Files.write(onnx, m.toByteArray());
        Path jar = dir.resolve(name + ".jar");
        assertEquals(0, Main.execute("compile", onnx.toString(), "-o", jar.toString(), "--quiet"));
        Map<String, Tensor> input =
                Map.of("x", Tensor.ofFloats(xShape, uniform(new Random(name.hashCode()), xShape, -10, 10)));
        float[] want;
        try (OrtOracle o = new OrtOracle(onnx, 1)) {
            want = o.run(input).get("y");
        }
        long[] gotShape;
        float[] g2;
        try (CompiledModel c = ArtifactLoader.open(jar, 1)) {
            Tensor got = c.run(input).get("y");
            gotShape = got.shape();
            g2 = got.toFloatArray();
        }
        assertEquals(List.of(box(yShape)), List.of(box(gotShape)), name + " shape");
        assertEquals(want.length, g2.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], g2[i], 1e-6 + 1e-6 * Math.abs(want[i]), name + " element " + i);
        }
    }

    private static List<Long> box(long[] v) {
        return java.util.Arrays.stream(v).boxed().toList();
    }
}
