package fsc.runtime.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The OpenAI surface over the fake engine: chat, stop sequences, logprobs, usage, model ids, errors. */
class OpenAiApiTest {
    private static SchedulerConfig config() {
        return SchedulerConfig.defaults(4, 128, 64);
    }

    private static Map<?, ?> json(HttpFixture.Reply r) {
        return (Map<?, ?>) Json.parse(r.body());
    }

    private static Map<?, ?> choice(Map<?, ?> m) {
        return (Map<?, ?>) ((List<?>) m.get("choices")).get(0);
    }

    /** The data events of an SSE body, parsed; "[DONE]" kept as a string. */
    private static List<Object> events(String body) {
        List<Object> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data: ")) {
                String d = line.substring(6);
                out.add(d.equals("[DONE]") ? d : Json.parse(d));
            }
        }
        return out;
    }

    @Test
    void modelsListsTheLoadedIdAndEveryResponseUsesIt() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            Map<?, ?> list = json(f.get("/v1/models"));
            assertEquals("list", list.get("object"));
            Map<?, ?> m = (Map<?, ?>) ((List<?>) list.get("data")).get(0);
            assertEquals("fake", m.get("id"));
            assertEquals("model", m.get("object"));
            assertEquals("fake", json(f.get("/v1/models/fake")).get("id"));
            assertEquals(
                    "fake",
                    json(f.post("/v1/completions", "{\"model\":\"fake\",\"prompt\":\"hi\"}"))
                            .get("model"));
            Map<?, ?> chat = json(f.post(
                    "/v1/chat/completions",
                    "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4}"));
            assertEquals("fake", chat.get("model"));
            assertEquals("chat.completion", chat.get("object"));
            Map<?, ?> msg = (Map<?, ?>) choice(chat).get("message");
            assertEquals("assistant", msg.get("role"));
            assertEquals(4, ((String) msg.get("content")).length());
            Map<?, ?> usage = (Map<?, ?>) chat.get("usage");
            // The ChatML rendering of one user turn plus the generation prompt, one token per character.
            String rendered = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n";
            assertEquals((long) rendered.length(), usage.get("prompt_tokens"));
            assertEquals(4L, usage.get("completion_tokens"));
            assertEquals((long) rendered.length() + 4, usage.get("total_tokens"));
        }
    }

    @Test
    void unknownModelIs404InOpenAiShapeAndNGreaterThanOneIs400() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            var r = f.post(
                    "/v1/chat/completions",
                    "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
            assertEquals(404, r.status());
            Map<?, ?> e = (Map<?, ?>) json(r).get("error");
            assertEquals("model_not_found", e.get("code"));
            assertEquals("invalid_request_error", e.get("type"));
            assertTrue(((String) e.get("message")).contains("gpt-9"));
            assertEquals(404, f.get("/v1/models/gpt-9").status());
            r = f.post("/v1/completions", "{\"prompt\":\"x\",\"n\":2}");
            assertEquals(400, r.status());
            assertTrue(r.body().contains("'n' must be 1"), r.body());
            r = f.post("/v1/chat/completions", "{\"messages\":[]}");
            assertEquals(400, r.status());
            r = f.post(
                    "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"presence_penalty\":1}");
            assertEquals(400, r.status());
            assertTrue(r.body().contains("presence_penalty"), r.body());
        }
    }

    @Test
    void aStopSequenceEndsTheAnswerBeforeItStreamingOrNot() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            String full = (String) choice(json(f.post("/v1/completions", "{\"prompt\":\"hello\",\"max_tokens\":20}")))
                    .get("text");
            assertEquals(20, full.length());
            String stop = full.substring(6, 8);
            int at = full.indexOf(stop);
            Map<?, ?> m = json(f.post(
                    "/v1/completions",
                    "{\"prompt\":\"hello\",\"max_tokens\":20,\"stop\":[\"zzzz\",\"" + stop + "\"]}"));
            assertEquals(full.substring(0, at), choice(m).get("text"));
            assertEquals("stop", choice(m).get("finish_reason"));
            assertEquals((long) at + stop.length(), ((Map<?, ?>) m.get("usage")).get("completion_tokens"));
            var r = f.post(
                    "/v1/completions",
                    "{\"prompt\":\"hello\",\"max_tokens\":20,\"stream\":true,\"stop\":\"" + stop + "\"}");
            StringBuilder streamed = new StringBuilder();
            String finish = null;
            for (Object e : events(r.body())) {
                if (e instanceof Map<?, ?> ev) {
                    streamed.append(choice(ev).get("text"));
                    finish = finish == null ? (String) choice(ev).get("finish_reason") : finish;
                }
            }
            assertEquals(full.substring(0, at), streamed.toString());
            assertEquals("stop", finish);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (f.engine.active() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, f.kv.usedBlocks(), "a stopped sequence frees its blocks");
        }
    }

    @Test
    void streamingChatOpensWithTheRoleAndEndsWithUsageWhenAsked() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            var r = f.post(
                    "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"stream\":true,"
                            + "\"stream_options\":{\"include_usage\":true}}");
            assertEquals(200, r.status());
            List<Object> ev = events(r.body());
            // role, 3 tokens, finish, usage, [DONE]
            assertEquals(7, ev.size(), r.body());
            Map<?, ?> first = (Map<?, ?>) ev.get(0);
            assertEquals("chat.completion.chunk", first.get("object"));
            assertEquals("assistant", ((Map<?, ?>) choice(first).get("delta")).get("role"));
            assertEquals("length", choice((Map<?, ?>) ev.get(4)).get("finish_reason"));
            Map<?, ?> usage = (Map<?, ?>) ((Map<?, ?>) ev.get(5)).get("usage");
            assertEquals(3L, usage.get("completion_tokens"));
            assertTrue(((List<?>) ((Map<?, ?>) ev.get(5)).get("choices")).isEmpty());
            assertEquals("[DONE]", ev.get(6));
            // Without include_usage: no usage chunk.
            r = f.post(
                    "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"stream\":true}");
            assertEquals(6, events(r.body()).size());
        }
    }

    @Test
    void logprobsAreTheLogSoftmaxOfTheLogits() throws Exception {
        // The fake engine's logits are 1 at the next token and 0 elsewhere (64 tokens).
        double chosen = 1 - Math.log(Math.E + 63);
        double other = -Math.log(Math.E + 63);
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            Map<?, ?> chat = json(f.post(
                    "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2,\"logprobs\":true,"
                            + "\"top_logprobs\":2}"));
            List<?> content = (List<?>) ((Map<?, ?>) choice(chat).get("logprobs")).get("content");
            assertEquals(2, content.size());
            Map<?, ?> t = (Map<?, ?>) content.get(0);
            assertEquals(chosen, (Double) t.get("logprob"), 1e-5);
            List<?> top = (List<?>) t.get("top_logprobs");
            assertEquals(2, top.size());
            assertEquals(t.get("token"), ((Map<?, ?>) top.get(0)).get("token"));
            assertEquals(other, (Double) ((Map<?, ?>) top.get(1)).get("logprob"), 1e-5);
            assertNotNull(t.get("bytes"));
            Map<?, ?> cmpl = json(f.post("/v1/completions", "{\"prompt\":\"hi\",\"max_tokens\":3,\"logprobs\":1}"));
            Map<?, ?> lp = (Map<?, ?>) choice(cmpl).get("logprobs");
            assertEquals(3, ((List<?>) lp.get("token_logprobs")).size());
            assertEquals(chosen, (Double) ((List<?>) lp.get("token_logprobs")).get(0), 1e-5);
            assertEquals(List.of(0L, 1L, 2L), lp.get("text_offset"));
            assertNull(choice(json(f.post("/v1/completions", "{\"prompt\":\"hi\"}")))
                    .get("logprobs"));
        }
    }

    @Test
    void eachRequestGetsOneAccessLogLineWithTokensAndTimes() throws Exception {
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        var options = new ServeServer.Options(null, null, lines::add, 1000);
        try (HttpFixture f = new HttpFixture(config(), 0, options)) {
            f.post("/v1/completions", "{\"prompt\":\"hello\",\"max_tokens\":5}");
            f.post("/v1/completions", "{\"model\":\"nope\",\"prompt\":\"hello\"}");
            f.get("/metrics");
        }
        assertEquals(3, lines.size(), lines.toString());
        // A line is written once its exchange has ended, after the client has its answer, so the
        // next request's line may come first: look each one up rather than by position.
        String l = line(lines, "status=200 model=fake");
        assertTrue(
                l.matches("access method=POST path=/v1/completions status=200 model=fake caller=- prompt_tokens=5"
                        + " completion_tokens=5 ttft_ms=[0-9.]+ total_ms=[0-9.]+"),
                l);
        String missing = line(lines, "status=404");
        assertTrue(missing.contains("ttft_ms=-"), missing);
        line(lines, "access method=GET path=/metrics status=200");
    }

    private static String line(List<String> lines, String part) {
        return lines.stream()
                .filter(x -> x.contains(part))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no access line with '" + part + "' in " + lines));
    }

    @Test
    void twoModelsHaveTheirOwnEnginesAndAnAmbiguousRequestMustNameOne() throws Exception {
        try (HttpFixture f = new HttpFixture(config(), 0)) {
            ServedModel.Generator second = HttpFixture.newGenerator("second", config());
            f.server.models().add(second);
            assertEquals(2, ((List<?>) json(f.get("/v1/models")).get("data")).size());
            var r = f.post("/v1/completions", "{\"prompt\":\"hi\"}");
            assertEquals(400, r.status());
            assertTrue(r.body().contains("'model' is required"), r.body());
            assertEquals(
                    "second",
                    json(f.post("/v1/completions", "{\"model\":\"second\",\"prompt\":\"hi\"}"))
                            .get("model"));
            assertEquals(1, second.metrics().acceptedCount(Priority.INTERACTIVE));
            assertEquals(0, f.metrics.acceptedCount(Priority.INTERACTIVE));
            String metrics = f.get("/metrics").body();
            assertTrue(metrics.contains("fsc_requests_accepted_total{model_name=\"second\",class=\"interactive\"} 1"));
            assertTrue(metrics.contains("fsc_requests_accepted_total{model_name=\"fake\",class=\"interactive\"} 0"));
            assertEquals(1, metrics.split("# TYPE vllm:num_requests_waiting ", -1).length - 1, "one header per family");
        }
    }

    @Test
    void adminRoutesLoadAndUnloadWithoutARestart() throws Exception {
        List<String> loaded = new ArrayList<>();
        ModelLoader loader = (id, path, tok) -> {
            if (!path.endsWith(".jar")) {
                throw new fsc.runtime.RuntimeFailure(path + " is not a model jar");
            }
            loaded.add(path);
            return HttpFixture.newGenerator(id, config());
        };
        try (HttpFixture f = new HttpFixture(config(), 0, new ServeServer.Options(null, loader, l -> {}, 1000))) {
            var r = f.post("/admin/models", "{\"id\":\"extra\",\"path\":\"/m/extra.jar\"}");
            assertEquals(201, r.status(), r.body());
            assertEquals(List.of("/m/extra.jar"), loaded);
            assertEquals(
                    409,
                    f.post("/admin/models", "{\"id\":\"extra\",\"path\":\"/m/extra.jar\"}")
                            .status());
            r = f.post("/admin/models", "{\"id\":\"bad\",\"path\":\"/m/x.txt\"}");
            assertEquals(400, r.status());
            assertTrue(r.body().contains("not a model jar"), r.body());
            assertEquals(
                    200,
                    f.post("/v1/completions", "{\"model\":\"extra\",\"prompt\":\"hi\"}")
                            .status());
            ServedModel extra = f.server.models().get("extra");
            r = f.send("DELETE", "/admin/models/extra", null, null);
            assertEquals(200, r.status(), r.body());
            assertEquals(true, json(r).get("deleted"));
            assertFalse(f.server.models().contains("extra"));
            assertEquals(0, ((ServedModel.Generator) extra).engine().active());
            assertEquals(
                    404,
                    f.post("/v1/completions", "{\"model\":\"extra\",\"prompt\":\"hi\"}")
                            .status());
            assertEquals(
                    404, f.send("DELETE", "/admin/models/extra", null, null).status());
            assertEquals(
                    200,
                    f.post("/v1/completions", "{\"model\":\"fake\",\"prompt\":\"hi\"}")
                            .status());
        }
    }
}
