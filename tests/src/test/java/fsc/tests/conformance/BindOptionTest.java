package fsc.tests.conformance;

import static fsc.tests.conformance.NodeTestWriter.floats;
import static fsc.tests.conformance.NodeTestWriter.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fsc compile --bind NAME=FILE}: a shape input becomes a constant and leaves the jar's signature. */
class BindOptionTest {
    @TempDir
    Path dir;

    @Test
    void bindingTheShapeInputMakesReshapeCompile() {
        Path test = new NodeTestWriter("Reshape", 14)
                .input("x", floats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))
                .input("shape", longs(new long[] {2}, 3, 2))
                .output("y", floats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6))
                .write(dir, "reshape");
        Path model = test.resolve("model.onnx");
        Path jar = dir.resolve("reshape.jar");

        StringWriter err = new StringWriter();
        int unbound = Main.execute(
                new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true),
                "compile",
                model.toString(),
                "-o",
                jar.toString(),
                "-q");
        assertEquals(2, unbound);
        assertTrue(err.toString().contains("--bind shape=FILE"), err.toString());

        int bound = Main.execute(
                new PrintWriter(new StringWriter(), true),
                new PrintWriter(new StringWriter(), true),
                "compile",
                model.toString(),
                "--bind",
                "shape=" + test.resolve("test_data_set_0/input_1.pb"),
                "-o",
                jar.toString(),
                "-q");
        assertEquals(0, bound);
        try (CompiledModel m = ArtifactLoader.open(jar, 1)) {
            assertEquals(List.of("x"), m.inputNames());
            Tensor y = m.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6)))
                    .get("y");
            assertArrayEquals(new long[] {3, 2}, y.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, y.toFloatArray());
        }
    }
}
