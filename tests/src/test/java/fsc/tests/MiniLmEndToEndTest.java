package fsc.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import fsc.runtime.json.Json;
import fsc.runtime.serve.Embedder;
import fsc.runtime.serve.Metrics;
import fsc.runtime.serve.ServeServer;
import fsc.runtime.text.WordPieceTokenizer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spine, end to end: all-MiniLM-L6-v2 (from Maven Central) compiled by {@code fsc compile} to a
 * jar, run in-process and as a standalone {@code java -jar}, compared with ONNX Runtime on token ids
 * of real sentences (batch 1 and 3, padding in the mask) within max-abs 1e-4 on both outputs.
 */
class MiniLmEndToEndTest {
    static final double TOLERANCE = 1e-4;

    @TempDir
    static Path work;

    static Path jar;
    static Path irDir;
    static OrtOracle ort;
    static WordPieceTokenizer tokenizer;
    static CompiledModel model;

    @BeforeAll
    static void compile() throws Exception {
        jar = work.resolve("minilm.jar");
        irDir = work.resolve("ir");
        int code = Main.execute(
                "compile",
                TestModels.minilm().toString(),
                "--target",
                "java",
                "-o",
                jar.toString(),
                "--dump-ir",
                irDir.toString(),
                "--quiet");
        assertEquals(0, code, "fsc compile exit code");
        ort = new OrtOracle(TestModels.minilm(), 1);
        tokenizer = WordPieceTokenizer.fromJson(TestModels.minilmTokenizer());
        model = ArtifactLoader.open(jar, 2);
    }

    @AfterAll
    static void close() throws Exception {
        if (model != null) {
            model.close();
        }
        if (ort != null) {
            ort.close();
        }
    }

    static Map<String, Tensor> inputs(List<String> sentences, int maxLength) {
        var enc = tokenizer.encodeBatch(sentences, maxLength);
        return Map.of(
                "input_ids", enc.inputIds(),
                "attention_mask", enc.attentionMask(),
                "token_type_ids", enc.tokenTypeIds());
    }

    static void assertMatchesOrt(Map<String, Tensor> in) throws Exception {
        Map<String, float[]> expected = ort.run(in);
        Map<String, Tensor> actual = model.run(in);
        assertEquals(expected.keySet(), actual.keySet(), "output names");
        for (var e : expected.entrySet()) {
            float[] got = actual.get(e.getKey()).toFloatArray();
            assertEquals(e.getValue().length, got.length, "length of " + e.getKey());
            double maxAbs = 0;
            for (int i = 0; i < got.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(got[i] - e.getValue()[i]));
            }
            assertTrue(maxAbs <= TOLERANCE, e.getKey() + ": max-abs " + maxAbs + " > " + TOLERANCE);
        }
    }

    @Test
    void batchOfOneMatchesOnnxRuntime() throws Exception {
        assertMatchesOrt(inputs(List.of("The quick brown fox jumps over the lazy dog."), 128));
    }

    @Test
    void paddedBatchOfThreeMatchesOnnxRuntime() throws Exception {
        assertMatchesOrt(inputs(
                List.of(
                        "A man is eating food.",
                        "Ahead-of-time compilers turn a model into specialised code, which is then packed into one jar"
                                + " that runs on servers and edge devices alike, without the compiler.",
                        "Héllo, wörld!"),
                128));
    }

    @Test
    void longSequenceOf128TokensMatches() throws Exception {
        String longText = String.join(" ", java.util.Collections.nCopies(60, "inference engineers benchmark"));
        Map<String, Tensor> in = inputs(List.of(longText), 128);
        assertEquals(128, in.get("input_ids").shape()[1]);
        assertMatchesOrt(in);
    }

    /**
     * {@code fsc serve}'s {@code /v1/embeddings} over HTTP: one vector per input, in order, each the
     * masked mean of ONNX Runtime's token embeddings, L2-normalised (sentence-transformers' pooling,
     * computed here independently of the runtime's {@code Embedder}).
     */
    @Test
    void embeddingsEndpointServesPooledSentenceEmbeddings() throws Exception {
        List<String> texts = List.of("A man is eating food.", "Ship the jar to an edge device.");
        ServeServer server = ServeServer.embeddings(
                new InetSocketAddress("127.0.0.1", 0),
                new Embedder(model, tokenizer, 128),
                new Metrics(),
                ServeServer.Limits.defaults(129),
                "minilm");
        try {
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/embeddings"))
                                    .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("input", texts))))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            Map<?, ?> body = (Map<?, ?>) Json.parse(response.body());
            assertEquals("list", body.get("object"));
            List<?> data = (List<?>) body.get("data");
            assertEquals(texts.size(), data.size());
            for (int i = 0; i < texts.size(); i++) {
                Map<?, ?> d = (Map<?, ?>) data.get(i);
                assertEquals(i, ((Number) d.get("index")).intValue());
                List<?> vector = (List<?>) d.get("embedding");
                float[] expected = pooledByOrt(texts.get(i));
                assertEquals(expected.length, vector.size());
                for (int j = 0; j < expected.length; j++) {
                    assertEquals(
                            expected[j],
                            ((Number) vector.get(j)).doubleValue(),
                            TOLERANCE,
                            "text " + i + " [" + j + "]");
                }
            }
            // A bad request is a 400 with a message, not a 500.
            HttpResponse<String> bad = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/embeddings"))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"input\": 3}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(400, bad.statusCode(), bad.body());
        } finally {
            server.shutdown(0);
        }
    }

    /** ORT's token embeddings of {@code text}, mean-pooled over its tokens and L2-normalised. */
    private static float[] pooledByOrt(String text) throws Exception {
        Map<String, Tensor> in = inputs(List.of(text), 128);
        float[] tokens = ort.run(in).get("output_0");
        int seq = (int) in.get("input_ids").shape()[1];
        int dim = tokens.length / seq;
        double[] sum = new double[dim];
        for (int s = 0; s < seq; s++) {
            for (int d = 0; d < dim; d++) {
                sum[d] += tokens[s * dim + d];
            }
        }
        double norm = 0;
        for (int d = 0; d < dim; d++) {
            sum[d] /= seq;
            norm += sum[d] * sum[d];
        }
        float[] out = new float[dim];
        for (int d = 0; d < dim; d++) {
            out[d] = (float) (sum[d] / Math.sqrt(norm));
        }
        return out;
    }

    @Test
    void dumpIrWritesOneFilePerPass() throws Exception {
        List<Path> dumps;
        try (Stream<Path> s = Files.list(irDir)) {
            dumps = s.filter(p -> p.toString().endsWith(".fsir")).sorted().toList();
        }
        assertTrue(dumps.size() >= 3, "expected import + at least two passes, got " + dumps);
        assertTrue(
                dumps.get(0).getFileName().toString().startsWith("00-"),
                dumps.get(0).toString());
        for (Path p : dumps) {
            assertTrue(Files.readString(p).contains("graph @"), p + " is not an IR dump");
        }
    }

    @Test
    void artifactRunsAloneInAChildJvm() throws Exception {
        Map<String, Tensor> in = inputs(List.of("Edge devices run the jar alone.", "No compiler needed."), 64);
        Path dir = Files.createDirectories(work.resolve("alone"));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "-jar",
                jar.toString()));
        for (var e : in.entrySet()) {
            Path f = dir.resolve(e.getKey() + ".npy");
            Npy.write(f, e.getValue());
            cmd.add("--input");
            cmd.add(e.getKey() + "=" + f);
        }
        cmd.add("--output-dir");
        cmd.add(dir.resolve("out").toString());
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("log.txt").toFile())
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "artifact did not finish");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("log.txt")));
        Map<String, float[]> expected = ort.run(in);
        for (var e : expected.entrySet()) {
            Tensor t = Npy.read(dir.resolve("out").resolve(e.getKey() + ".npy"));
            float[] got = t.toFloatArray();
            double maxAbs = 0;
            for (int i = 0; i < got.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(got[i] - e.getValue()[i]));
            }
            assertTrue(maxAbs <= TOLERANCE, e.getKey() + " from the standalone jar: max-abs " + maxAbs);
        }
    }

    /**
     * Bit-identical outputs whatever the JIT state: the jar's first call in a fresh JVM at 1 thread,
     * once with C1 only (the Vector API's Java fallback in every kernel), once with the default
     * tiers (mostly interpreted) and once as the packaged launcher runs it (C1 only, every kernel
     * on its scalar twin), equals this JVM's outputs at 2 threads after warm-up (C2 with its
     * vector intrinsics). Before kernels folded lanes in one fixed order and computed exp/tanh from
     * exact operations, outputs differed in the last bits from process to process.
     */
    @Test
    void coldChildJvmsGiveTheWarmOutputsBitForBit() throws Exception {
        // 40 tokens: enough scores per head (40·40) for attention's blocked GEMM path, and not a
        // multiple of the vector length, so the scalar tails run too.
        String text = String.join(" ", java.util.Collections.nCopies(8, "same bits cold or warm"));
        Map<String, Tensor> in = inputs(List.of(text), 40);
        Map<String, float[]> warm = new java.util.TreeMap<>();
        for (int i = 0; i < 300; i++) { // C2 compiles the kernels within these calls
            Map<String, Tensor> out = model.run(in);
            for (var e : out.entrySet()) {
                warm.put(e.getKey(), e.getValue().toFloatArray());
            }
        }
        Path dir = Files.createDirectories(work.resolve("tiers"));
        for (var e : in.entrySet()) {
            Npy.write(dir.resolve(e.getKey() + ".npy"), e.getValue());
        }
        // The last: the packaged launcher's one-call runs (C1 only, every kernel on its twin).
        for (String flag : List.of(
                "-XX:TieredStopAtLevel=1",
                "-XX:+TieredCompilation",
                "-XX:TieredStopAtLevel=1 -Dfsc.coldStart=always")) {
            Path out = dir.resolve(flag.replaceAll("[^A-Za-z0-9]", ""));
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules",
                    "jdk.incubator.vector"));
            cmd.addAll(List.of(flag.split(" ")));
            cmd.addAll(List.of("-jar", jar.toString(), "--threads", "1", "--output-dir", out.toString()));
            for (String name : in.keySet()) {
                cmd.add("--input");
                cmd.add(name + "=" + dir.resolve(name + ".npy"));
            }
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("log.txt").toFile())
                    .start();
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "artifact " + flag + " did not finish");
            assertEquals(0, p.exitValue(), Files.readString(dir.resolve("log.txt")));
            for (var e : warm.entrySet()) {
                float[] cold = Npy.read(out.resolve(e.getKey() + ".npy")).toFloatArray();
                assertEquals(e.getValue().length, cold.length, e.getKey());
                for (int i = 0; i < cold.length; i++) {
                    if (Float.floatToRawIntBits(cold[i]) != Float.floatToRawIntBits(e.getValue()[i])) {
                        throw new AssertionError(e.getKey() + "[" + i + "]: " + cold[i] + " cold (" + flag
                                + ", 1 thread) vs " + e.getValue()[i] + " warm (2 threads)");
                    }
                }
            }
        }
    }

    @Test
    void sameModelGivesByteIdenticalJar() throws Exception {
        Path again = work.resolve("again.jar");
        assertEquals(0, Main.execute("compile", TestModels.minilm().toString(), "-o", again.toString(), "--quiet"));
        assertArrayEquals(Files.readAllBytes(jar), Files.readAllBytes(again), "jar bytes differ between two compiles");
    }
}
