package fsc.tests.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Progress;
import fsc.compiler.CompileDriver;
import fsc.compiler.CompileSettings;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.tests.OrtOracle;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The small real CNNs of {@code ../shared/data/onnx/models} compiled by fsc and compared with ONNX
 * Runtime on a seeded random image: every logit within {@code 1e-4 + 1e-3·|ort|} (fp32 sums in a
 * different order differ by a few ulps; this bound leaves two orders of magnitude of margin).
 */
class SmallModelsVsOrtTest {
    static final double ATOL = 1e-4;
    static final double RTOL = 1e-3;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mnist.onnx", "cnn_mnist_pytorch.onnx"})
    void matchesOnnxRuntime(String file) throws Exception {
        Path model = NodeTests.onnxData().resolve("models").resolve(file);
        Path jar = dir.resolve(file.replace(".onnx", ".jar"));
        CompileDriver.compile(CompileSettings.builder(model, jar).build(), new Progress(System.err, true));
        Random rnd = new Random(42);
        float[] pixels = new float[28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = rnd.nextFloat();
        }
        try (CompiledModel fsc = ArtifactLoader.open(jar, 1);
                OrtOracle ort = new OrtOracle(model, 1)) {
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            feeds.put(fsc.inputNames().getFirst(), Tensor.ofFloats(new long[] {1, 1, 28, 28}, pixels));
            List<float[]> expected = List.copyOf(ort.run(feeds).values());
            float[] actual = fsc.run(feeds).values().iterator().next().toFloatArray();
            assertEquals(expected.getFirst().length, actual.length);
            for (int i = 0; i < actual.length; i++) {
                float e = expected.getFirst()[i];
                assertTrue(
                        Math.abs(actual[i] - e) <= ATOL + RTOL * Math.abs(e),
                        file + " logit " + i + ": fsc " + actual[i] + ", onnxruntime " + e);
            }
        }
    }
}
