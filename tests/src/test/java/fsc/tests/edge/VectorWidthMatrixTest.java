package fsc.tests.edge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.Main;
import fsc.compiler.CompileDriver;
import fsc.compiler.CompileProgress;
import fsc.compiler.CompileSettings;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import fsc.runtime.text.WordPieceTokenizer;
import fsc.tests.TestModels;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernels and compiled models give the same answers at the vector widths of NEON-class (128-bit,
 * {@code -XX:MaxVectorSize=16}) and AVX2-class (256-bit, {@code =32}) CPUs as at this machine's
 * widest: one child JVM per narrower width runs the kernel and model test classes of runtime-min
 * and backend-java, and runs MiniLM (fp32 and int8), a CNN and a GGUF decoder (stories260K, f32 and
 * Q8_0) on fixed inputs; their outputs are compared with the same models run here. The jars are
 * compiled once here (at this machine's width: their GEMM weights are repacked at load in the
 * children, as on a device with other vectors).
 *
 * <p>Tolerances: fp32 outputs to {@code 1e-4 + 1e-4·|ref|} (the widths sum lanes in different
 * trees; measured ~2e-6 on MiniLM), greedy decoder ids exactly and logits to {@code 1e-3 +
 * 1e-3·|ref|}, and the int8 MiniLM's hidden vectors by cosine ≥ 0.99 (an f32 value at a quantizer
 * boundary may land one u8 step apart, as {@code MiniLmQuantizedVsOrtTest} explains). A kernel
 * wrong at a width gives errors the size of the values.
 *
 * <p>The default build runs a quick subset; {@link #fullMatrix} (tagged {@code heavy}: {@code
 * ./mvnw -B -pl tests -am test -Dtest=VectorWidthMatrixTest -Dsurefire.excludedGroups=bench,gpu
 * -Dsurefire.failIfNoSpecifiedTests=false}) runs every runtime-min and backend-java test class
 * at both widths and the models on larger inputs.
 */
class VectorWidthMatrixTest {
    /** Test classes of the reactor's other modules, compiled before this module's tests run. */
    private static final List<Path> SIBLING_TEST_CLASSES = List.of(
            Path.of("..", "runtime-min", "target", "test-classes"),
            Path.of("..", "backend-java", "target", "test-classes"));

    /**
     * Kernel tests whose code branches on the lane count (the models above run the rest at real
     * shapes; the scalar twins of a fresh JVM copy the vector code's lane order), kept few so the
     * default build stays cheap; {@link #fullMatrix} runs them all.
     */
    private static final List<String> QUICK_CLASSES = List.of(
            "fsc.runtime.kernels.AttentionHeadsColdTest",
            "fsc.runtime.kernels.AttentionRowsColdTest",
            "fsc.runtime.kernels.LayerNormColdTest",
            "fsc.runtime.kernels.Int8GemmTest",
            "fsc.runtime.kernels.Int8QuantizeTest",
            "fsc.runtime.kernels.SgemmRepackTest",
            "fsc.runtime.kernels.LanesTest",
            "fsc.runtime.quant.QuantDotTest",
            "fsc.runtime.quant.QuantDotRowsTest");

    /** Every test class of the two modules (heavy and bench tags stay out, as in the default build). */
    private static final List<String> ALL_CLASSES = List.of("fsc.runtime.*", "fsc.backend.java.*");

    @TempDir
    static Path work;

    @Test
    void quickSubsetMatchesTheWidestVectors() throws Exception {
        run(false);
    }

    @Test
    @Tag("heavy")
    void fullMatrix() throws Exception {
        run(true);
    }

    private static void run(boolean full) throws Exception {
        int widest = FloatVector.SPECIES_PREFERRED.vectorByteSize();
        List<Integer> narrower = new ArrayList<>();
        for (int bytes : new int[] {16, 32}) {
            if (bytes < widest) {
                narrower.add(bytes);
            }
        }
        assertTrue(
                !narrower.isEmpty(),
                "this JVM's vectors are " + widest + " bytes: there is no narrower width to compare");
        Path plan = plan(full);
        // The children run while this JVM runs the reference: two cores, three JVMs, mostly waiting on JIT.
        List<Process> children = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (int bytes : narrower) {
            Path log = work.resolve((full ? "full" : "quick") + "-width" + bytes + ".log");
            logs.add(log);
            children.add(child(bytes, plan, work.resolve((full ? "full" : "quick") + "-out" + bytes), full, log));
        }
        Path ref = work.resolve((full ? "full" : "quick") + "-out" + widest);
        WidthModels.runAll(plan, ref);
        for (int i = 0; i < narrower.size(); i++) {
            Process p = children.get(i);
            boolean done = p.waitFor(full ? 3600 : 600, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String out = Files.readString(logs.get(i));
            String tail = out.length() > 8000 ? out.substring(out.length() - 8000) : out;
            assertTrue(done, "child JVM at " + narrower.get(i) + " bytes did not finish: " + tail);
            assertEquals(0, p.exitValue(), "child JVM at " + narrower.get(i) + " bytes: " + tail);
            out.lines().filter(l -> l.startsWith("width ")).forEach(System.out::println);
        }
        for (int bytes : narrower) {
            Path got = work.resolve((full ? "full" : "quick") + "-out" + bytes);
            compare(ref, got, widest, bytes);
        }
    }

    private static Process child(int bytes, Path plan, Path out, boolean full, Path log) throws Exception {
        StringBuilder cp = new StringBuilder(System.getProperty("java.class.path"));
        for (Path p : SIBLING_TEST_CLASSES) {
            assertTrue(
                    Files.isDirectory(p), p.toAbsolutePath() + " is missing: build with -am so sibling tests compile");
            cp.append(File.pathSeparator).append(p.toAbsolutePath());
        }
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-Xss8m",
                "-Xmx2g",
                "-XX:MaxVectorSize=" + bytes,
                "-Dfsc.shared.data=" + System.getProperty("fsc.shared.data", ""),
                "-cp",
                cp.toString(),
                WidthProbe.class.getName(),
                Integer.toString(bytes),
                plan.toString(),
                out.toString()));
        cmd.addAll(full ? ALL_CLASSES : QUICK_CLASSES);
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** Compiles the models (once per mode) and writes their inputs; returns the plan file. */
    private static Path plan(boolean full) throws Exception {
        String mode = full ? "full" : "quick";
        Path dir = Files.createDirectories(work.resolve(mode));
        int seq = full ? 128 : 16;
        List<String> sentences = full
                ? List.of(
                        "A man is eating food.",
                        "Ahead-of-time compilers turn a model into specialised code for edge devices.",
                        "Héllo, wörld!")
                : List.of("Ship the jar to an edge device.");
        int batch = sentences.size();
        WordPieceTokenizer tokenizer = WordPieceTokenizer.fromJson(TestModels.minilmTokenizer());
        var enc = tokenizer.encodeBatch(sentences, seq);
        Map<String, Tensor> text = Map.of(
                "input_ids", enc.inputIds(),
                "attention_mask", enc.attentionMask(),
                "token_type_ids", enc.tokenTypeIds());
        List<String> lines = new ArrayList<>();

        Path minilm = dir.resolve("minilm.jar");
        compileOnnx(TestModels.minilm(), minilm, "batch=" + batch, "batch_1=" + seq);
        lines.add("onnx minilm " + minilm + " " + inputs(dir.resolve("minilm-in"), text));

        Path minilmQ = dir.resolve("minilm-q.jar");
        compileOnnx(TestModels.minilmQuantized(), minilmQ, "batch_size=" + batch, "sequence_length=" + seq);
        lines.add("onnx minilm-q " + minilmQ + " " + inputs(dir.resolve("minilm-q-in"), text));

        Path cnn = dir.resolve("cnn.jar");
        if (full) {
            long[] shape = {1, 3, 48, 192};
            compileOnnx(TestModels.cnn("ch_ppocr_mobile_v2.0_cls_infer.onnx", shape), cnn);
            lines.add("onnx cnn " + cnn + " " + inputs(dir.resolve("cnn-in"), Map.of("x", uniform(shape, 7))));
        } else {
            compileOnnx(sharedData().resolve("onnx/models/cnn_mnist_pytorch.onnx"), cnn);
            // The input's name is the model's; read it back from the jar's signature.
            String name;
            try (var m = fsc.cli.ArtifactLoader.open(cnn, 1)) {
                name = m.inputNames().getFirst();
            }
            lines.add("onnx cnn " + cnn + " "
                    + inputs(dir.resolve("cnn-in"), Map.of(name, uniform(new long[] {1, 1, 28, 28}, 42))));
        }

        int steps = full ? 48 : 8;
        for (String gguf : List.of("stories260K.gguf", "stories260K-Q8_0.gguf")) {
            Path jar = dir.resolve(gguf.replace(".gguf", ".jar"));
            CompileDriver.compile(
                    CompileSettings.builder(sharedData().resolve("gguf").resolve(gguf), jar)
                            .decoder(new DecoderOptions(128, 16, 1, 16))
                            .build(),
                    CompileProgress.SILENT);
            lines.add("gguf " + gguf.replace(".gguf", "") + " " + jar + " " + steps);
        }
        Path plan = dir.resolve("plan.txt");
        Files.write(plan, lines);
        return plan;
    }

    /** Values in [-1, 1), as a normalised image. */
    private static Tensor uniform(long[] shape, long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[(int) Tensor.countOf(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return Tensor.ofFloats(shape, v);
    }

    private static void compileOnnx(Path onnx, Path jar, String... bounds) {
        List<String> args = new ArrayList<>(List.of("compile", onnx.toString(), "-o", jar.toString(), "--quiet"));
        for (String b : bounds) {
            args.add("--bound");
            args.add(b);
        }
        assertEquals(0, Main.execute(args.toArray(String[]::new)), "fsc compile " + onnx.getFileName());
    }

    private static Path inputs(Path dir, Map<String, Tensor> tensors) throws Exception {
        Files.createDirectories(dir);
        for (var e : tensors.entrySet()) {
            Npy.write(dir.resolve(e.getKey() + ".npy"), e.getValue());
        }
        return dir;
    }

    private static Path sharedData() {
        String root = System.getProperty("fsc.shared.data");
        Path p = root != null && !root.isEmpty()
                ? Path.of(root)
                : Path.of(System.getProperty("user.dir")).resolve("../../shared/data");
        assertTrue(Files.isDirectory(p), "test data " + p.toAbsolutePath() + " is missing");
        return p.toAbsolutePath().normalize();
    }

    private static void compare(Path ref, Path got, int widest, int bytes) {
        for (String model : List.of("minilm", "minilm-q", "cnn", "stories260K", "stories260K-Q8_0")) {
            List<String> names = WidthModels.outputs(ref, model);
            assertEquals(names, WidthModels.outputs(got, model), model + ": outputs at " + bytes + " bytes");
            for (String name : names) {
                Tensor r = Npy.read(ref.resolve(model).resolve(name));
                Tensor g = Npy.read(got.resolve(model).resolve(name));
                String what = model + "/" + name + " at " + bytes + " vs " + widest + " bytes";
                assertArrayEquals(r.shape(), g.shape(), what + ": shape");
                if (name.equals("ids.npy")) {
                    assertArrayEquals(longs(r), longs(g), what + ": greedy ids");
                } else if (model.equals("minilm-q")) {
                    assertRowCosines(r, g, 0.99, what);
                } else {
                    double tol = model.startsWith("stories") ? 1e-3 : 1e-4;
                    assertClose(r.toFloatArray(), g.toFloatArray(), tol, what);
                }
            }
        }
    }

    private static long[] longs(Tensor t) {
        long[] v = new long[(int) Tensor.countOf(t.shape())];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i);
        }
        return v;
    }

    private static void assertClose(float[] ref, float[] got, double tol, String what) {
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]);
            assertTrue(err <= tol + tol * Math.abs(ref[i]), what + " [" + i + "]: " + got[i] + " vs " + ref[i]);
            worst = Math.max(worst, err);
        }
        System.out.printf("%s: max-abs %.3g%n", what, worst);
    }

    /** Cosine of every vector along the last axis. */
    private static void assertRowCosines(Tensor ref, Tensor got, double min, String what) {
        long[] shape = ref.shape();
        int dim = (int) shape[shape.length - 1];
        float[] r = ref.toFloatArray();
        float[] g = got.toFloatArray();
        double worst = 1;
        for (int row = 0; row < r.length / dim; row++) {
            double dot = 0;
            double nr = 0;
            double ng = 0;
            for (int i = row * dim; i < (row + 1) * dim; i++) {
                dot += (double) r[i] * g[i];
                nr += (double) r[i] * r[i];
                ng += (double) g[i] * g[i];
            }
            double cos = nr == 0 && ng == 0 ? 1 : dot / Math.sqrt(nr * ng);
            assertTrue(cos >= min, what + " row " + row + ": cosine " + cos);
            worst = Math.min(worst, cos);
        }
        System.out.printf("%s: lowest row cosine %.6f%n", what, worst);
    }
}
