package fsc.tests.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.compiler.CompileDriver;
import fsc.compiler.CompileProgress;
import fsc.compiler.CompileSettings;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.runtime.CompiledModel;
import fsc.runtime.json.Json;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.SpeculativeGenerator;
import fsc.runtime.serve.Batching;
import fsc.runtime.serve.LlmServing;
import fsc.runtime.serve.ServeOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code fsc serve --draft}: stories260K served with its Q8_0 twin as the draft answers greedy
 * requests, sent concurrently so several sequences speculate in one batched step, with exactly the
 * text the server without a draft gives; sampled requests run too; afterwards no KV block is held
 * and {@code /metrics} shows the speculation (rounds, acceptance, tokens per target step).
 */
class SpeculativeServeTest {
    private static final List<String> PROMPTS = List.of(
            "Once upon a time",
            "The little dog",
            "Lily and Ben went to the park. They",
            "One day, a big red ball",
            "Tom had a toy car",
            "The sun was shining and");

    @Test
    void greedyAnswersEqualTheTargetAloneAndTheMetricsShowTheDraftsWork() throws Exception {
        Path target = compile("stories260K.gguf");
        Path draft = compile("stories260K-Q8_0.gguf");
        try (CompiledModel model = ArtifactLoader.open(target, 1);
                CompiledModel draftModel = ArtifactLoader.open(draft, 1)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            // No admission control: on a loaded machine it would turn some of these requests away.
            ServeOptions o = new ServeOptions("127.0.0.1", 0, 256, 0, 256, 50, 1000, 0, 0, Batching.CONTINUOUS, false);
            List<String> alone;
            LlmServing plain = LlmServing.start(model, config, o);
            try {
                alone = complete(plain.port(), 0.0);
            } finally {
                plain.shutdown(1000);
            }
            LlmServing spec = LlmServing.start(
                    model, config, o, new LlmServing.Draft(draftModel, 3, SpeculativeGenerator.Mode.ALWAYS));
            try {
                List<String> speculated = complete(spec.port(), 0.0);
                assertEquals(alone, speculated, "greedy text with a draft is the target's own");
                List<String> sampled = complete(spec.port(), 0.8);
                assertEquals(PROMPTS.size(), sampled.size());
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (spec.engine().active() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                Thread.sleep(200); // the engine publishes gauges when it goes idle
                String metrics = get(spec.port(), "/metrics");
                assertEquals(0.0, metric(metrics, "fsc_kv_blocks_used"), "no KV block held");
                assertTrue(metric(metrics, "fsc_spec_rounds_total") > 0, metrics);
                assertTrue(metric(metrics, "fsc_spec_acceptance_rate") > 0.5, "the Q8_0 twin mostly agrees");
                assertTrue(metric(metrics, "fsc_spec_tokens_per_target_step") > 1.5, metrics);
            } finally {
                spec.shutdown(1000);
            }
        }
    }

    private static List<String> complete(int port, double temperature) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            String body = Json.write(
                    Map.of("prompt", PROMPTS.get(i), "max_tokens", 24 + 4 * i, "temperature", temperature, "seed", i));
            calls.add(client.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .header("Content-Type", "application/json")
                            .build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        List<String> texts = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            HttpResponse<String> r = call.get();
            assertEquals(200, r.statusCode(), r.body());
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(r.body());
            @SuppressWarnings("unchecked")
            Map<String, Object> choice = ((List<Map<String, Object>>) m.get("choices")).getFirst();
            texts.add((String) choice.get("text"));
        }
        return texts;
    }

    private static String get(int port, String path) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** The sample of {@code name} (the one served model's, whatever its labels). */
    private static double metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(
                        line.substring(line.lastIndexOf(' ') + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name + " in\n" + text);
    }

    private static Path compile(String file) throws Exception {
        String root = System.getProperty("fsc.shared.data");
        Path base = root != null ? Path.of(root) : Path.of(System.getProperty("user.dir"), "../../shared/data");
        Path gguf = base.resolve("gguf").resolve(file).toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(gguf), "test data missing: " + gguf);
        Path jar = Files.createTempDirectory("fsc-spec").resolve(file.replace(".gguf", ".jar"));
        CompileDriver.compile(
                CompileSettings.builder(gguf, jar)
                        .decoder(new DecoderOptions(256, 128, 8, 16))
                        .build(),
                CompileProgress.SILENT);
        return jar;
    }
}
