package fsc.runtime.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.json.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The HTTP layer over the fake engine, on 127.0.0.1 only. */
class ServeServerTest {
    private static SchedulerConfig config() {
        return SchedulerConfig.defaults(4, 128, 64);
    }

    @Test
    void completionReturnsTheGeneratedTextAndUsage() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            var r = f.post("/v1/completions", "{\"prompt\":\"hello\",\"max_tokens\":5}");
            assertEquals(200, r.status(), r.body());
            Map<?, ?> m = (Map<?, ?>) Json.parse(r.body());
            Map<?, ?> choice = (Map<?, ?>) ((List<?>) m.get("choices")).get(0);
            assertEquals("length", choice.get("finish_reason"));
            assertEquals(5, ((String) choice.get("text")).length());
            assertEquals(5L, ((Map<?, ?>) m.get("usage")).get("completion_tokens"));
            assertEquals(0, f.kv.usedBlocks());
        }
    }

    @Test
    void streamingSendsOneEventPerTokenThenTheFinishReasonAndDone() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            HttpURLConnection c = f.open("/v1/completions");
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            try (OutputStream out = c.getOutputStream()) {
                out.write("{\"prompt\":\"hi\",\"max_tokens\":7,\"stream\":true,\"priority\":\"batch\"}"
                        .getBytes(StandardCharsets.UTF_8));
            }
            assertEquals(200, c.getResponseCode());
            assertEquals("text/event-stream", c.getHeaderField("Content-Type"));
            List<String> data = new ArrayList<>();
            try (var in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("data: ")) {
                        data.add(line.substring(6));
                    }
                }
            }
            assertEquals(9, data.size(), data.toString());
            assertEquals("[DONE]", data.getLast());
            assertTrue(data.get(7).contains("\"finish_reason\":\"length\""), data.get(7));
        }
    }

    @Test
    void badRequestsGet400WithAReason() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            String[][] cases = {
                {"not json", "not JSON"},
                {"[1]", "JSON object"},
                {"{\"max_tokens\":4}", "'prompt'"},
                {"{\"prompt\":\"a\",\"max_tokens\":0}", "'max_tokens' must be in 1..100"},
                {"{\"prompt\":\"a\",\"max_tokens\":101}", "'max_tokens' must be in 1..100"},
                {"{\"prompt\":\"a\",\"max_tokens\":2.5}", "integer"},
                {"{\"prompt\":\"a\",\"priority\":\"urgent\"}", "priority"},
                {"{\"prompt\":\"a\",\"temprature\":1}", "unknown field 'temprature'"},
                {"{\"prompt\":\"" + "x".repeat(65) + "\"}", "the prompt has 65 tokens; the limit is 64"},
            };
            for (String[] c : cases) {
                var r = f.post("/v1/completions", c[0]);
                assertEquals(400, r.status(), c[0]);
                assertTrue(r.body().contains(c[1]), c[0] + " -> " + r.body());
            }
            assertEquals(405, f.get("/v1/completions").status());
            assertEquals(404, f.get("/nothing").status());
        }
    }

    @Test
    void aDrainingServerAnswers503WithRetryAfterAndHealthSaysSo() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            assertEquals(200, f.get("/health").status());
            f.engine.drain();
            var r = f.post("/v1/completions", "{\"prompt\":\"hello\"}");
            assertEquals(503, r.status());
            assertNotNull(r.retryAfter());
            assertEquals(503, f.get("/health").status());
            assertTrue(f.get("/metrics")
                    .body()
                    .contains(
                            "fsc_requests_rejected_total{model_name=\"fake\",class=\"interactive\",status=\"503\"} 1"));
        }
    }

    @Test
    void aClientThatDisconnectsMidStreamIsCancelledAndItsBlocksFreed() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 5)) {
            HttpURLConnection c = f.open("/v1/completions");
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            try (OutputStream out = c.getOutputStream()) {
                out.write("{\"prompt\":\"hello\",\"max_tokens\":100,\"stream\":true}".getBytes(StandardCharsets.UTF_8));
            }
            var in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
            int events = 0;
            while (events < 3) {
                if (in.readLine().startsWith("data: ")) {
                    events++;
                }
            }
            assertTrue(f.kv.usedBlocks() > 0);
            c.disconnect();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((f.engine.active() > 0 || f.kv.usedBlocks() > 0) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, f.engine.active(), "the sequence ended");
            assertEquals(0, f.kv.usedBlocks(), "its blocks are free");
            assertEquals(1, f.metrics.endedCount(Priority.INTERACTIVE, "cancelled"));
        }
    }

    @Test
    void metricsAreInPrometheusTextFormat() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            f.post("/v1/completions", "{\"prompt\":\"hello\",\"max_tokens\":3}");
            var r = f.get("/metrics");
            assertEquals(200, r.status());
            String text = r.body();
            assertTrue(text.contains("# TYPE fsc_ttft_seconds histogram"));
            assertTrue(text.contains("fsc_ttft_seconds_count{model_name=\"fake\",class=\"interactive\"} 1"), text);
            assertTrue(text.contains("fsc_tbt_seconds_count{model_name=\"fake\",class=\"interactive\"} 2"));
            assertTrue(text.contains("fsc_generated_tokens_total{model_name=\"fake\",class=\"interactive\"} 3"));
            assertTrue(text.contains(
                    "fsc_requests_ended_total{model_name=\"fake\",class=\"interactive\",outcome=\"length\"} 1"));
            assertTrue(text.contains("fsc_kv_blocks_used{model_name=\"fake\"} 0"));
            for (String line : text.split("\n")) {
                assertTrue(
                        line.startsWith("# HELP ")
                                || line.startsWith("# TYPE ")
                                || line.matches("[a-z_:0-9]+(\\{.*\\})? \\S+"),
                        line);
            }
        }
    }

    @Test
    void limitsAreRefusedWith4xxAndAJsonErrorBeforeTheBodyIsRead() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            byte[] ok = "{\"prompt\":\"hi\",\"max_tokens\":2}".getBytes(StandardCharsets.UTF_8);
            String[] many = new String[70];
            for (int i = 0; i < many.length; i++) {
                many[i] = "X-H" + i + ": v";
            }
            byte[] badUtf8 = "{\"prompt\":\"a\u00ff\"}".getBytes(StandardCharsets.ISO_8859_1);
            Object[][] cases = {
                {HttpFixture.post("/v1/completions", new byte[10_000]), 413, "exceeds 4096"},
                {HttpFixture.post("/v1/completions", ok, many), 431, "73 header lines"},
                {HttpFixture.post("/v1/completions", ok, "X-Big: " + "a".repeat(17_000)), 431, "limit is 16384"},
                {HttpFixture.post("/v1/completions", badUtf8), 400, "not valid UTF-8 (byte 12)"},
                {
                    HttpFixture.post("/v1/completions", utf8("{\"prompt\":" + "[".repeat(17) + "]".repeat(17) + "}")),
                    400,
                    "deeper than 16"
                },
                {HttpFixture.post("/v1/completions", utf8("[".repeat(3000))), 400, "deeper than 16"},
                {HttpFixture.post("/v1/completions", utf8("{\"prompt\":\"a\\ud800b\"}")), 400, "unpaired surrogate"},
                {HttpFixture.post("/v1/completions", utf8("{\"prompt\":\"a\",\"max_tokens\":1e999}")), 400, "integer"},
            };
            for (Object[] c : cases) {
                var r = f.raw((byte[]) c[0]);
                assertEquals((int) c[1], r.status(), r.body());
                Map<?, ?> error = (Map<?, ?>) ((Map<?, ?>) Json.parse(r.body())).get("error");
                assertTrue(((String) error.get("message")).contains((String) c[2]), r.body());
            }
            // A chunked body announces no length: the reader stops at the limit.
            byte[] head = ("POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n2710\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] tail = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            byte[] chunked = java.util.Arrays.copyOf(head, head.length + 10_000 + tail.length);
            System.arraycopy(tail, 0, chunked, head.length + 10_000, tail.length);
            var r = f.raw(chunked);
            assertEquals(413, r.status(), r.body());
            assertEquals(
                    200,
                    f.post("/v1/completions", "{\"prompt\":\"hi\",\"max_tokens\":2}")
                            .status());
        }
    }

    @Test
    void aFailedStepEndsItsRequestsWithAnErrorAndTheServerGoesOn() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            f.failSteps.set(1);
            var failed = f.post("/v1/completions", "{\"prompt\":\"hello\",\"max_tokens\":4}");
            assertEquals(500, failed.status());
            assertTrue(failed.body().contains("engine step failed"), failed.body());
            assertEquals(0, f.kv.usedBlocks());
            var next = f.post("/v1/completions", "{\"prompt\":\"hello\",\"max_tokens\":4}");
            assertEquals(200, next.status(), next.body());
            assertEquals(200, f.get("/health").status());
            assertEquals(1, f.metrics.endedCount(Priority.INTERACTIVE, "error"));
        }
    }

    @Test
    void shutdownLetsAnInFlightRequestFinishAndRefusesNewOnes() throws Exception {
        HttpFixture f = new HttpFixture(config(), 5);
        var inFlight = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return f.post("/v1/completions", "{\"prompt\":\"hello\",\"max_tokens\":60}");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        while (f.engine.active() == 0) {
            Thread.sleep(5);
        }
        Thread stopper = Thread.ofPlatform().start(() -> f.server.shutdown(30_000));
        while (!f.engine.draining()) {
            Thread.sleep(5);
        }
        assertEquals(503, f.post("/v1/completions", "{\"prompt\":\"late\"}").status());
        var r = inFlight.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, r.status(), r.body());
        assertTrue(r.body().contains("\"finish_reason\":\"length\""), r.body());
        stopper.join(30_000);
        assertTrue(!stopper.isAlive(), "shutdown returned once the request ended");
    }

    @Test
    void aGraceTooShortEndsTheInFlightRequestWith503NotAHang() throws Exception {
        HttpFixture f = new HttpFixture(config(), 20);
        var inFlight = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return f.post("/v1/completions", "{\"prompt\":\"hello\",\"max_tokens\":100}");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        while (f.engine.active() == 0) {
            Thread.sleep(5);
        }
        Thread stopper = Thread.ofPlatform().start(() -> f.server.shutdown(50));
        var r = inFlight.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(503, r.status(), r.body());
        assertTrue(r.body().contains("shutting down"), r.body());
        stopper.join(30_000);
        assertTrue(!stopper.isAlive());
        assertEquals(0, f.engine.active());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
