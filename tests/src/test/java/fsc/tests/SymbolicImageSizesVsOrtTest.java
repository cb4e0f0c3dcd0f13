package fsc.tests;

import static fsc.tests.OnnxProtos.floats;
import static fsc.tests.OnnxProtos.ints;
import static fsc.tests.OnnxProtos.node;
import static fsc.tests.OnnxProtos.string;
import static fsc.tests.OnnxProtos.symbolic;
import static fsc.tests.OnnxProtos.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.frontend.onnx.proto.Onnx;
import fsc.runtime.CompiledModel;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A detector's skeleton with symbolic image sizes, compiled once without {@code --shape} and compared
 * with ONNX Runtime at several sizes: a stride-2 conv, a 2×2 max pool, a nearest ×2 Resize joined to
 * the conv's map by Add (a feature pyramid), a 2×2 stride-2 ConvTranspose. At a size whose levels do
 * not line up both engines refuse the input; fsc in one line naming the sizes.
 */
class SymbolicImageSizesVsOrtTest {
    @TempDir
    Path dir;

    @Test
    void oneJarManySizes() throws Exception {
        Path onnx = dir.resolve("pyramid.onnx");
        Files.write(onnx, model().toByteArray());
        Path jar = dir.resolve("pyramid.jar");
        assertEquals(0, Main.execute("compile", onnx.toString(), "-o", jar.toString(), "--quiet"));
        try (OrtOracle ort = new OrtOracle(onnx, 1);
                CompiledModel fsc = ArtifactLoader.open(jar, 1)) {
            for (long[] hw : new long[][] {{16, 24}, {12, 8}, {7, 20}, {16, 24}}) {
                long[] shape = {1, 3, hw[0], hw[1]};
                Map<String, Tensor> in =
                        Map.of("x", Tensor.ofFloats(shape, uniform(new Random(hw[0] * 100 + hw[1]), shape, -1, 1)));
                float[] want = ort.run(in).get("y");
                Tensor got = fsc.run(in).get("y");
                assertEquals(
                        List.of(1L, 4L, hw[0] + hw[0] % 2, hw[1] + hw[1] % 2),
                        java.util.Arrays.stream(got.shape()).boxed().toList());
                float[] g = got.toFloatArray();
                assertEquals(want.length, g.length);
                for (int i = 0; i < g.length; i++) {
                    assertEquals(want[i], g[i], 1e-5, hw[0] + "x" + hw[1] + " element " + i);
                }
            }
            // 10 rows: the conv's map has 5, the upsampled pool's 4.
            long[] bad = {1, 3, 10, 8};
            Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(bad, uniform(new Random(1), bad, -1, 1)));
            assertThrows(Exception.class, () -> ort.run(in));
            RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> fsc.run(in));
            assertTrue(e.getMessage().contains("(4 vs 5)") && !e.getMessage().contains("\n"), e.getMessage());
        }
    }

    /** Reflect, edge and wrap Pad along a symbolic length (silero's STFT front end pads so), two lengths. */
    @Test
    void padModesOverASymbolicLength() throws Exception {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder()
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(1))
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(2))
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("L"));
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder()
                .setName("pads")
                .addInput(Onnx.ValueInfoProto.newBuilder()
                        .setName("x")
                        .setType(Onnx.TypeProto.newBuilder()
                                .setTensorType(Onnx.TypeProto.Tensor.newBuilder()
                                        .setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                                        .setShape(shape))));
        String[][] modes = {{"reflect", "3", "2"}, {"edge", "1", "4"}, {"wrap", "2", "3"}};
        for (String[] m : modes) {
            Onnx.TensorProto.Builder pads = Onnx.TensorProto.newBuilder()
                    .setName("pads_" + m[0])
                    .setDataType(Onnx.TensorProto.DataType.INT64_VALUE)
                    .addDims(6);
            for (long v : new long[] {0, 0, Long.parseLong(m[1]), 0, 0, Long.parseLong(m[2])}) {
                pads.addInt64Data(v);
            }
            g.addInitializer(pads);
            g.addNode(node("Pad", List.of("x", "pads_" + m[0]), "y_" + m[0]).addAttribute(string("mode", m[0])));
            g.addOutput(Onnx.ValueInfoProto.newBuilder()
                    .setName("y_" + m[0])
                    .setType(Onnx.TypeProto.newBuilder()
                            .setTensorType(Onnx.TypeProto.Tensor.newBuilder()
                                    .setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE))));
        }
        Onnx.ModelProto model = OnnxProtos.model(g, 9, 19);
        Path onnx = dir.resolve("pads.onnx");
        Files.write(onnx, model.toByteArray());
        Path jar = dir.resolve("pads.jar");
        assertEquals(0, Main.execute("compile", onnx.toString(), "-o", jar.toString(), "--quiet"));
        try (OrtOracle ort = new OrtOracle(onnx, 1);
                CompiledModel fsc = ArtifactLoader.open(jar, 1)) {
            for (long len : new long[] {7, 12, 5}) {
                long[] xs = {1, 2, len};
                Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(xs, uniform(new Random(len), xs, -1, 1)));
                Map<String, float[]> want = ort.run(in);
                Map<String, Tensor> got = fsc.run(in);
                for (String[] m : modes) {
                    float[] g2 = got.get("y_" + m[0]).toFloatArray();
                    assertEquals(
                            java.util.Arrays.toString(want.get("y_" + m[0])),
                            java.util.Arrays.toString(g2),
                            m[0] + " at length " + len);
                }
            }
        }
    }

    private static Onnx.ModelProto model() {
        Random r = new Random(7);
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder()
                .setName("pyramid")
                .addInput(symbolic("x", 1, 3, "H", "W"))
                .addOutput(symbolic("y", 1, 4, "H", "W"))
                .addInitializer(floats("w", new long[] {8, 3, 3, 3}, uniform(r, new long[] {8, 3, 3, 3}, -1, 1)))
                .addInitializer(floats("b", new long[] {8}, uniform(r, new long[] {8}, -1, 1)))
                .addInitializer(floats("scales", new long[] {4}, new float[] {1, 1, 2, 2}))
                .addInitializer(floats("wt", new long[] {8, 4, 2, 2}, uniform(r, new long[] {8, 4, 2, 2}, -1, 1)));
        g.addNode(node("Conv", List.of("x", "w", "b"), "c")
                .addAttribute(ints("strides", 2, 2))
                .addAttribute(ints("pads", 1, 1, 1, 1)));
        g.addNode(node("Relu", List.of("c"), "a"));
        g.addNode(node("MaxPool", List.of("a"), "p")
                .addAttribute(ints("kernel_shape", 2, 2))
                .addAttribute(ints("strides", 2, 2)));
        g.addNode(node("Resize", List.of("p", "", "scales"), "u")
                .addAttribute(string("mode", "nearest"))
                .addAttribute(string("coordinate_transformation_mode", "asymmetric"))
                .addAttribute(string("nearest_mode", "floor")));
        g.addNode(node("Add", List.of("a", "u"), "s"));
        g.addNode(node("ConvTranspose", List.of("s", "wt"), "y")
                .addAttribute(ints("kernel_shape", 2, 2))
                .addAttribute(ints("strides", 2, 2)));
        return OnnxProtos.model(g, 8, 13);
    }
}
