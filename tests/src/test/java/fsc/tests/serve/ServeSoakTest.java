package fsc.tests.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.loadtest.LoadGenerator;
import fsc.cli.loadtest.LoadSpec;
import fsc.cli.loadtest.RequestResult;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.serve.LlmServing;
import fsc.runtime.serve.ServeOptions;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real stories260K decoder behind {@code fsc serve} on 127.0.0.1, driven by {@code fsc
 * loadtest}'s generator with more clients than sequences and random disconnects: every request
 * ends (tokens, a rejection, or our own hang-up, never an error), no KV block leaks, and the server
 * still answers {@code /health}.
 */
class ServeSoakTest {
    @Test
    void aShortBurstWithDisconnectsLeaksNothing() throws Exception {
        soak(60, 12);
    }

    @Test
    @Tag("heavy")
    void twoThousandRequestsAtOverloadWithDisconnectsLeakNothing() throws Exception {
        soak(2000, 24);
    }

    private static void soak(int requests, int clients) throws Exception {
        Path jar = ServeSoakTestData.storiesJar();
        try (CompiledModel model = ArtifactLoader.open(jar, 1)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            // Fewer blocks than 8 sequences at full context: preemption happens too.
            ServeOptions o = ServeOptions.defaults().withPort(0).withKvMemory(0);
            LlmServing serving = LlmServing.start(model, config, o);
            try {
                URI target = URI.create("http://127.0.0.1:" + serving.port());
                LoadSpec spec = new LoadSpec(
                        target,
                        0,
                        clients,
                        600,
                        requests,
                        LoadSpec.parseMix("interactive=0.3,batch=0.7"),
                        new LoadSpec.Range(4, 60),
                        new LoadSpec.Range(4, 48),
                        0.2,
                        42);
                LoadGenerator gen = new LoadGenerator(spec);
                List<RequestResult> results = gen.run();
                assertEquals(requests, results.size());
                for (RequestResult r : results) {
                    assertTrue(
                            r.outcome().equals("ok")
                                    || r.outcome().equals("rejected")
                                    || r.outcome().equals("disconnected"),
                            "request " + r + " ended with " + r.outcome() + " (status " + r.status() + ")");
                }
                // How many are admitted depends on how fast this machine runs steps (admission
                // rejects what would miss its TTFT budget), so only require that some were served.
                assertTrue(results.stream().anyMatch(r -> r.outcome().equals("ok")), "no request was served");
                assertTrue(results.stream().anyMatch(r -> r.outcome().equals("disconnected")));
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (serving.engine().active() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertEquals(0, serving.engine().active(), "every accepted request ended");
                Thread.sleep(200); // the engine publishes gauges when it goes idle
                Map<String, Double> metrics = gen.scrape();
                assertEquals(0.0, metrics.get("fsc_kv_blocks_used"), "no KV block leaked");
                assertEquals(0.0, metrics.get("fsc_waiting") + metrics.get("fsc_running"));
                var health = java.net.http.HttpClient.newHttpClient()
                        .send(
                                java.net.http.HttpRequest.newBuilder(target.resolve("/health"))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode(), health.body());
            } finally {
                serving.shutdown(1000);
            }
        }
    }
}
