package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import fsc.runtime.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code POST /v1/completions}, OpenAI-style. With {@code stream: true} every token is one SSE
 * event, then a last event with the finish reason and {@code data: [DONE]}; a comment line every
 * second while queued lets a vanished client be noticed. A failed write means the client left: the
 * sequence is cancelled and its blocks freed at the next step.
 */
final class CompletionHandler implements HttpHandler {
    private static final long PING_MS = 1000;

    private final ServeEngine engine;
    private final TextModel text;
    private final ServeServer.Limits limits;
    private final String modelName;
    private final AtomicLong ids = new AtomicLong();

    CompletionHandler(ServeEngine engine, TextModel text, ServeServer.Limits limits, String modelName) {
        this.engine = engine;
        this.text = text;
        this.limits = limits;
        this.modelName = modelName;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("POST")) {
                HttpIo.error(ex, 405, "use POST", 0);
                return;
            }
            CompletionParams p;
            int[] prompt;
            try {
                p = CompletionParams.parse(HttpIo.body(ex, limits.maxRequestBytes()), limits);
                prompt = text.encode(p.prompt());
                if (prompt.length > limits.maxPromptTokens()) {
                    throw new HttpIo.BadRequest(
                            "the prompt has " + prompt.length + " tokens; the limit is " + limits.maxPromptTokens());
                }
            } catch (HttpIo.BadRequest e) {
                HttpIo.error(ex, 400, e.getMessage(), 0);
                return;
            }
            long id = ids.incrementAndGet();
            var request = new CompletionRequest(
                    id, prompt, p.maxTokens(), p.priority(), p.ttftMs(), p.tbtMs(), p.sampling(), p.ignoreEos());
            EventQueue events = new EventQueue();
            Admission a = engine.submit(request, events);
            if (a instanceof Admission.Rejected r) {
                HttpIo.error(ex, r.status(), r.reason(), r.retryAfterSeconds());
                return;
            }
            if (p.stream()) {
                stream(ex, id, events);
            } else {
                whole(ex, id, prompt.length, events);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void whole(HttpExchange ex, long id, int promptTokens, EventQueue events)
            throws IOException, InterruptedException {
        TextModel.Detokenizer detok = text.detokenizer();
        StringBuilder out = new StringBuilder();
        int count = 0;
        while (true) {
            EventQueue.Event e = events.poll(PING_MS);
            switch (e) {
                case null -> {}
                case EventQueue.Token t -> {
                    count++;
                    if (t.id() != text.eosId()) {
                        out.append(detok.push(t.id()));
                    }
                }
                case EventQueue.End end -> {
                    if (end.error() != null) {
                        HttpIo.error(ex, errorStatus(), end.error(), errorStatus() == 503 ? 1 : 0);
                        return;
                    }
                    out.append(detok.flush());
                    Map<String, Object> usage = new LinkedHashMap<>();
                    usage.put("prompt_tokens", promptTokens);
                    usage.put("completion_tokens", count);
                    usage.put("total_tokens", promptTokens + count);
                    Map<String, Object> m = head(id);
                    m.put("choices", List.of(choice(out.toString(), end.reason())));
                    m.put("usage", usage);
                    HttpIo.json(ex, 200, m);
                    return;
                }
            }
        }
    }

    private void stream(HttpExchange ex, long id, EventQueue events) throws IOException, InterruptedException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        TextModel.Detokenizer detok = text.detokenizer();
        OutputStream out = ex.getResponseBody();
        try {
            while (true) {
                EventQueue.Event e = events.poll(PING_MS);
                switch (e) {
                    case null -> write(out, ": waiting\n\n");
                    case EventQueue.Token t -> {
                        String piece = t.id() == text.eosId() ? "" : detok.push(t.id());
                        Map<String, Object> m = head(id);
                        m.put("choices", List.of(choice(piece, null)));
                        write(out, "data: " + Json.write(m) + "\n\n");
                    }
                    case EventQueue.End end -> {
                        Map<String, Object> m;
                        if (end.error() != null) {
                            m = HttpIo.errorObject(errorStatus(), end.error());
                        } else {
                            m = head(id);
                            m.put("choices", List.of(choice(detok.flush(), end.reason())));
                        }
                        write(out, "data: " + Json.write(m) + "\n\ndata: [DONE]\n\n");
                        return;
                    }
                }
            }
        } catch (IOException gone) {
            engine.cancel(id);
        }
    }

    /** An accepted request ended by shutdown is unavailable (503); a failed step is a server error (500). */
    private int errorStatus() {
        return engine.draining() ? 503 : 500;
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private Map<String, Object> head(long id) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", "cmpl-" + id);
        m.put("object", "text_completion");
        m.put("model", modelName);
        return m;
    }

    private static Map<String, Object> choice(String text, String finish) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("index", 0);
        c.put("text", text);
        c.put("finish_reason", finish);
        return c;
    }
}
