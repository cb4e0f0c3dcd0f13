package fsc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.text.WordPieceTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 in f32, quantized by fsc ({@code --quantize int8} and {@code int4}), against ONNX
 * Runtime running the f32 model: the error fsc's quantization introduces, per token. The bounds are
 * issue 15's: every attended token's hidden vector at a cosine of at least 0.99 (int8) and 0.97
 * (int4) to ONNX Runtime's f32 one. The sentences are not ones any measurement in the compiler saw.
 * A wrong scale, a transposed weight or a broken block layout gives cosines near 0, far below both.
 */
class MiniLmQuantizeVsOrtTest {
    static final double MIN_TOKEN_COSINE_INT8 = 0.99;

    /**
     * Issue 15's int4 bound. Measured 0.9714 (mean 0.9879) with Q4_1 blocks fitted by a weighted
     * search; Q4_0 with ggml's scale rule plus a small search gave 0.956 (mean 0.977).
     */
    static final double MIN_TOKEN_COSINE_INT4 = 0.97;

    static final double MIN_MEAN_COSINE_INT4 = 0.98;

    @TempDir
    static Path work;

    static OrtOracle ortF32;
    static WordPieceTokenizer tokenizer;

    @BeforeAll
    static void setUp() throws Exception {
        ortF32 = new OrtOracle(TestModels.minilm(), 1);
        tokenizer = WordPieceTokenizer.fromJson(TestModels.minilmTokenizer());
    }

    @AfterAll
    static void close() throws Exception {
        if (ortF32 != null) {
            ortF32.close();
        }
    }

    @Test
    void int8StaysWithinTheCosineBoundOfOnnxRuntimeF32() throws Exception {
        double worst = tokenCosines("int8", "= matmul_int8(", 36)[0];
        assertTrue(worst >= MIN_TOKEN_COSINE_INT8, "int8: lowest per-token cosine vs ORT f32 " + worst);
        // Steady state allocates nothing: the run-time quantizer is one kernel node
        // (dynamic_quantize_rows), not element-wise nodes whose vector code allocated ~67 KB a call.
        var enc = tokenizer.encodeBatch(List.of("Int8 by fsc, all the way down."), 16);
        Map<String, Tensor> in = Map.of(
                "input_ids", SteadyStateProbe.offHeap(enc.inputIds()),
                "attention_mask", SteadyStateProbe.offHeap(enc.attentionMask()),
                "token_type_ids", SteadyStateProbe.offHeap(enc.tokenTypeIds()));
        Path jar = work.resolve("minilm-int8.jar");
        try (CompiledModel model = ArtifactLoader.open(jar, 1)) {
            SteadyStateProbe.assertSteady("minilm int8 (fsc)", model, jar, in, work.resolve("steady-int8"));
        }
    }

    @Test
    void int4StaysWithinTheCosineBoundOfOnnxRuntimeF32() throws Exception {
        double[] c = tokenCosines("int4", "= qmatmul(", 36);
        assertTrue(c[0] >= MIN_TOKEN_COSINE_INT4, "int4: lowest per-token cosine vs ORT f32 " + c[0]);
        assertTrue(c[1] >= MIN_MEAN_COSINE_INT4, "int4: mean per-token cosine vs ORT f32 " + c[1]);
    }

    /**
     * Static int8 (one scale per activation tensor, from a calibration set of 8 sentences none of
     * which the test runs on): the numbers for docs/QUANTIZATION.md. Per-tensor scales cannot reach
     * issue 15's 0.99 on an encoder (measured lowest 0.916, mean 0.960: the [CLS]/[SEP] rows set the
     * range); the bound catches a broken static path (cosines near 0). Heavy: a third MiniLM compile.
     */
    @Test
    @org.junit.jupiter.api.Tag("heavy")
    void staticInt8FromACalibrationSet() throws Exception {
        Path dir = work.resolve("calibration");
        List<String> sentences = List.of(
                "A calibration set should look like the inputs the model will see.",
                "The weather in Lisbon was warm and dry for most of October.",
                "She sold the old piano to a school in the next town.",
                "Compilers translate programs written in one language into another.",
                "How many eggs do I need for a sponge cake?",
                "The committee postponed its decision until next spring.",
                "Trains to the airport leave every fifteen minutes.",
                "He fixed the bicycle's chain with a borrowed tool.");
        for (int i = 0; i < sentences.size(); i++) {
            var e = tokenizer.encodeBatch(List.of(sentences.get(i)), 64);
            Path sample = dir.resolve(String.format("%02d", i));
            Files.createDirectories(sample);
            fsc.runtime.io.Npy.write(sample.resolve("input_ids.npy"), e.inputIds());
            fsc.runtime.io.Npy.write(sample.resolve("attention_mask.npy"), e.attentionMask());
            fsc.runtime.io.Npy.write(sample.resolve("token_type_ids.npy"), e.tokenTypeIds());
        }
        double[] c = tokenCosines("int8-static", "= matmul_int8(", 36, "--calibrate", dir.toString());
        assertTrue(c[0] >= 0.9, "static int8: lowest per-token cosine vs ORT f32 " + c[0]);
    }

    @Test
    void anAlreadyQuantizedModelIsRefusedWithExitCode2() {
        int code = Main.execute(
                "compile",
                TestModels.minilmQuantized().toString(),
                "-o",
                work.resolve("refused.jar").toString(),
                "--quantize",
                "int8",
                "--quiet");
        assertEquals(2, code, "--quantize on all-minilm-l6-v2-q");
    }

    /**
     * Compiles MiniLM with {@code --quantize mode}, checks the IR has {@code layers} kernel calls, runs
     * it: {lowest, mean} per-token cosine against ONNX Runtime f32.
     */
    private static double[] tokenCosines(String mode, String kernelCall, int layers, String... extra) throws Exception {
        Path jar = work.resolve("minilm-" + mode + ".jar");
        Path ir = work.resolve("ir-" + mode);
        List<String> args = new java.util.ArrayList<>(List.of(
                "compile",
                TestModels.minilm().toString(),
                "-o",
                jar.toString(),
                "--quantize",
                mode.replace("-static", ""),
                "--bound",
                "batch=4",
                "--bound",
                "batch_1=128",
                "--dump-ir",
                ir.toString(),
                // Accuracy is what this test checks; the report's timing of every variant would add a
                // minute per compile (MnistQuantSpeedReportTest covers it).
                "--no-quant-speed",
                "--quiet"));
        args.addAll(List.of(extra));
        int code = Main.execute(args.toArray(String[]::new));
        assertEquals(0, code, "fsc compile --quantize " + mode);
        String last;
        try (var files = Files.list(ir)) {
            last = Files.readString(files.filter(p -> p.toString().endsWith(".fsir"))
                    .sorted()
                    .reduce((a, b) -> b)
                    .orElseThrow());
        }
        assertEquals(
                layers,
                last.lines().filter(l -> l.contains(kernelCall)).count(),
                "MiniLM's linear layers as " + kernelCall);
        assertEquals(
                0,
                last.lines()
                        .filter(l -> l.contains("= matmul(") && l.contains(": f32["))
                        .count(),
                "f32 matmuls left");
        var enc = tokenizer.encodeBatch(
                List.of(
                        "The quick brown fox jumps over the lazy dog.",
                        "Quantization trades a little accuracy for smaller weights and faster integer arithmetic.",
                        "Où est la bibliothèque? 図書館はどこですか",
                        "short"),
                64);
        Map<String, Tensor> in = Map.of(
                "input_ids", enc.inputIds(),
                "attention_mask", enc.attentionMask(),
                "token_type_ids", enc.tokenTypeIds());
        float[] got;
        long[] shape;
        try (CompiledModel model = ArtifactLoader.open(jar, 1)) {
            Tensor t = model.run(in).get("output_0");
            got = t.toFloatArray();
            shape = t.shape();
        }
        float[] ref = ortF32.run(in).get("output_0");
        float[] ortInt8;
        try (OrtOracle q = new OrtOracle(TestModels.minilmQuantized(), 1)) {
            ortInt8 = q.run(in).get("last_hidden_state");
        }
        assertEquals(ref.length, got.length, "output length");
        long[] mask = enc.attentionMask().toLongArray();
        int hidden = (int) shape[2];
        double worst = 1;
        double ortWorst = 1;
        double sum = 0;
        int tokens = 0;
        for (int t = 0; t < mask.length; t++) {
            if (mask[t] == 0) {
                continue;
            }
            double cos = MiniLmQuantizedVsOrtTest.cosine(
                    MiniLmQuantizedVsOrtTest.row(got, t, hidden), MiniLmQuantizedVsOrtTest.row(ref, t, hidden));
            worst = Math.min(worst, cos);
            ortWorst = Math.min(
                    ortWorst,
                    MiniLmQuantizedVsOrtTest.cosine(
                            MiniLmQuantizedVsOrtTest.row(ortInt8, t, hidden),
                            MiniLmQuantizedVsOrtTest.row(ref, t, hidden)));
            sum += cos;
            tokens++;
        }
        System.out.printf(
                "minilm --quantize %s: per-token cosine vs ORT f32: lowest %.5f, mean %.5f over %d tokens"
                        + " (ORT's published int8 model: lowest %.5f)%n",
                mode, worst, sum / tokens, tokens, ortWorst);
        return new double[] {worst, sum / tokens};
    }
}
