package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import fsc.runtime.json.Json;
import fsc.runtime.serve.chat.TemplateException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions}, as OpenAI's clients call
 * them. The chat route renders the model's chat template over {@code messages}; both then submit
 * one sequence to the model's engine. With {@code stream: true} every token is one SSE event (chat
 * opens with a role delta), then an event with the finish reason, a usage event when {@code
 * stream_options.include_usage} asked for one, and {@code data: [DONE]}; a comment line every
 * second while queued lets a vanished client be noticed, and a failed write cancels the sequence.
 * Stop sequences are matched on the text ({@link StopMatcher}); a match ends the sequence at once.
 */
final class GenerationHandler implements HttpHandler {
    private static final long PING_MS = 1000;

    private final ModelRegistry models;
    private final Access access;
    private final boolean chat;
    private final AtomicLong ids;

    GenerationHandler(ModelRegistry models, Access access, boolean chat, AtomicLong ids) {
        this.models = models;
        this.access = access;
        this.chat = chat;
        this.ids = ids;
    }

    private String route() {
        return chat ? "/v1/chat/completions" : "/v1/completions";
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            RequestLog log = RequestLog.of(ex);
            ApiKeys.Key key = null;
            int generated = 0;
            Run run = null;
            try {
                if (!ex.getRequestMethod().equals("POST")) {
                    throw new HttpIo.HttpError(405, "use POST");
                }
                key = access.admit(ex, false);
                int bodyLimit = models.list().stream()
                        .filter(m -> m instanceof ServedModel.Generator)
                        .mapToInt(m -> ((ServedModel.Generator) m).limits().maxRequestBytes())
                        .max()
                        .orElse(1 << 20);
                CompletionParams p;
                ServedModel.Generator g;
                int[] prompt;
                try {
                    String body = HttpIo.body(ex, bodyLimit);
                    g = models.resolve(CompletionParams.model(body), ServedModel.Generator.class, route());
                    log.model = g.id();
                    p = chat ? CompletionParams.parseChat(body, g.limits()) : CompletionParams.parse(body, g.limits());
                    prompt = chat
                            ? g.text().encodeChat(g.chat().render(p.messages(), true))
                            : g.text().encode(p.prompt());
                } catch (HttpIo.BadRequest | TemplateException e) {
                    throw new HttpIo.HttpError(400, e.getMessage());
                }
                if (prompt.length > g.limits().maxPromptTokens()) {
                    throw new HttpIo.HttpError(
                            400,
                            "the prompt has " + prompt.length + " tokens; the limit is "
                                    + g.limits().maxPromptTokens());
                }
                log.promptTokens = prompt.length;
                access.admitTokens(key, prompt.length);
                Priority priority = key != null && key.priority() == Priority.BATCH ? Priority.BATCH : p.priority();
                long id = ids.incrementAndGet();
                var request = new CompletionRequest(
                        id, prompt, p.maxTokens(), priority, p.ttftMs(), p.tbtMs(), p.sampling(), p.ignoreEos());
                EventQueue events = new EventQueue(p.topLogprobs());
                Admission a = g.engine().submit(request, events);
                if (a instanceof Admission.Rejected r) {
                    throw new HttpIo.HttpError(r.status(), r.reason(), null, r.retryAfterSeconds());
                }
                run = new Run(g, p, id, prompt.length, events, log, System.nanoTime(), key);
                generated = p.stream() ? run.stream(ex) : run.whole(ex);
            } catch (HttpIo.HttpError e) {
                HttpIo.error(ex, e);
            } finally {
                log.completionTokens = generated;
                if (run == null) {
                    access.charge(key, generated);
                } else {
                    run.chargeOnce();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One accepted request's output. */
    private final class Run {
        final ServedModel.Generator g;
        final CompletionParams p;
        final long id;
        final int promptTokens;
        final EventQueue events;
        final RequestLog log;
        final long startNanos;
        final long created = System.currentTimeMillis() / 1000;
        final TextModel.Detokenizer detok;
        final StopMatcher stops;
        final List<Object> chatLogprobs = new ArrayList<>();
        final Map<String, List<Object>> completionLogprobs = new LinkedHashMap<>();
        int count;
        int textOffset;
        final ApiKeys.Key key;
        boolean charged;

        Run(
                ServedModel.Generator g,
                CompletionParams p,
                long id,
                int promptTokens,
                EventQueue events,
                RequestLog log,
                long startNanos,
                ApiKeys.Key key) {
            this.key = key;
            this.g = g;
            this.p = p;
            this.id = id;
            this.promptTokens = promptTokens;
            this.events = events;
            this.log = log;
            this.startNanos = startNanos;
            this.detok = g.text().detokenizer();
            this.stops = new StopMatcher(p.stops());
            for (String k : List.of("tokens", "token_logprobs", "top_logprobs", "text_offset")) {
                completionLogprobs.put(k, new ArrayList<>());
            }
        }

        /** Text a token adds (after stop matching); records its logprobs. */
        String onToken(EventQueue.Token t) {
            if (count++ == 0) {
                log.ttftMs = (System.nanoTime() - startNanos) / 1e6;
            }
            String piece = t.id() == g.text().eosId() ? "" : stops.push(detok.push(t.id()));
            if (t.logprobs() != null) {
                addLogprobs(t.id(), t.logprobs());
            }
            textOffset += piece.length();
            return piece;
        }

        void addLogprobs(int token, TokenLogprobs lp) {
            if (chat) {
                Map<String, Object> entry = tokenEntry(token, lp.logprob());
                List<Object> top = new ArrayList<>();
                for (int k = 0; k < lp.topIds().length; k++) {
                    top.add(tokenEntry(lp.topIds()[k], lp.topLogprobs()[k]));
                }
                entry.put("top_logprobs", top);
                chatLogprobs.add(entry);
            } else {
                completionLogprobs.get("tokens").add(pieceText(token));
                completionLogprobs.get("token_logprobs").add((double) lp.logprob());
                Map<String, Object> top = new LinkedHashMap<>();
                for (int k = 0; k < lp.topIds().length; k++) {
                    top.putIfAbsent(pieceText(lp.topIds()[k]), (double) lp.topLogprobs()[k]);
                }
                completionLogprobs.get("top_logprobs").add(top);
                completionLogprobs.get("text_offset").add((long) textOffset);
            }
        }

        Map<String, Object> tokenEntry(int token, float logprob) {
            byte[] b = g.text().pieceBytes(token);
            List<Object> bytes = new ArrayList<>(b.length);
            for (byte x : b) {
                bytes.add((long) (x & 0xFF));
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("token", new String(b, StandardCharsets.UTF_8));
            m.put("logprob", (double) logprob);
            m.put("bytes", bytes);
            return m;
        }

        String pieceText(int token) {
            return new String(g.text().pieceBytes(token), StandardCharsets.UTF_8);
        }

        /** The whole answer as one JSON response; returns the tokens generated. */
        int whole(HttpExchange ex) throws IOException, InterruptedException {
            StringBuilder out = new StringBuilder();
            while (true) {
                EventQueue.Event e = events.poll(PING_MS);
                String finish = null;
                switch (e) {
                    case null -> {}
                    case EventQueue.Token t -> {
                        out.append(onToken(t));
                        if (stops.stopped()) {
                            g.engine().cancel(id, "stop");
                            finish = "stop";
                        }
                    }
                    case EventQueue.End end -> {
                        if (end.error() != null) {
                            int status = errorStatus();
                            throw new HttpIo.HttpError(status, end.error(), null, status == 503 ? 1 : 0);
                        }
                        out.append(stops.push(detok.flush())).append(stops.flush());
                        finish = stops.stopped() ? "stop" : end.reason();
                    }
                }
                if (finish != null) {
                    Map<String, Object> m = head(false);
                    m.put("choices", List.of(choice(out.toString(), finish, true, logprobsNow(true))));
                    m.put("usage", usage());
                    chargeOnce(); // before the answer: the client's next request must see the tokens spent
                    HttpIo.json(ex, 200, m);
                    return count;
                }
            }
        }

        /** SSE, one event per token; returns the tokens generated. */
        int stream(HttpExchange ex) throws IOException, InterruptedException {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            try {
                if (chat) { // OpenAI's first chunk carries the role
                    Map<String, Object> m = head(true);
                    Map<String, Object> delta = new LinkedHashMap<>();
                    delta.put("role", "assistant");
                    delta.put("content", "");
                    m.put("choices", List.of(chunkChoice(delta, null, null)));
                    event(out, m);
                }
                while (true) {
                    EventQueue.Event e = events.poll(PING_MS);
                    switch (e) {
                        case null -> write(out, ": waiting\n\n");
                        case EventQueue.Token t -> {
                            String piece = onToken(t);
                            event(out, piece(piece, null, logprobsNow(false)));
                            if (stops.stopped()) {
                                g.engine().cancel(id, "stop");
                                finish(out, "", "stop");
                                return count;
                            }
                        }
                        case EventQueue.End end -> {
                            if (end.error() != null) {
                                write(
                                        out,
                                        "data: " + Json.write(HttpIo.errorObject(errorStatus(), end.error()))
                                                + "\n\ndata: [DONE]\n\n");
                                return count;
                            }
                            String rest = stops.push(detok.flush()) + stops.flush();
                            finish(out, rest, stops.stopped() ? "stop" : end.reason());
                            return count;
                        }
                    }
                }
            } catch (IOException gone) {
                g.engine().cancel(id);
                return count;
            }
        }

        /** An accepted request ended by shutdown is unavailable (503); a failed step is a server error (500). */
        private int errorStatus() {
            return g.engine().draining() ? 503 : 500;
        }

        /** Charges the key for the tokens generated, once. */
        void chargeOnce() {
            if (!charged) {
                charged = true;
                access.charge(key, count);
            }
        }

        void finish(OutputStream out, String text, String reason) throws IOException {
            chargeOnce(); // before the last event: the client's next request must see the tokens spent
            event(out, piece(text, reason, null));
            if (p.includeUsage()) {
                Map<String, Object> m = head(true);
                m.put("choices", List.of());
                m.put("usage", usage());
                event(out, m);
            }
            write(out, "data: [DONE]\n\n");
        }

        /** Logprobs gathered since the last call (streaming) or all of them (whole), or null when not asked for. */
        Object logprobsNow(boolean all) {
            if (p.topLogprobs() < 0) {
                return null;
            }
            Object result;
            if (chat) {
                result = Map.of("content", new ArrayList<>(chatLogprobs));
                chatLogprobs.clear();
            } else {
                Map<String, Object> copy = new LinkedHashMap<>();
                completionLogprobs.forEach((k, v) -> copy.put(k, new ArrayList<>(v)));
                completionLogprobs.values().forEach(List::clear);
                result = copy;
            }
            return result;
        }

        Map<String, Object> piece(String text, String finish, Object logprobs) {
            Map<String, Object> m = head(true);
            if (chat) {
                Map<String, Object> delta = new LinkedHashMap<>();
                if (finish == null || !text.isEmpty()) {
                    delta.put("content", text);
                }
                m.put("choices", List.of(chunkChoice(delta, finish, logprobs)));
            } else {
                m.put("choices", List.of(choice(text, finish, false, logprobs)));
            }
            return m;
        }

        Map<String, Object> chunkChoice(Map<String, Object> delta, String finish, Object logprobs) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("index", 0);
            c.put("delta", delta);
            c.put("logprobs", logprobs);
            c.put("finish_reason", finish);
            return c;
        }

        Map<String, Object> choice(String text, String finish, boolean whole, Object logprobs) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("index", 0);
            if (chat && whole) {
                Map<String, Object> msg = new LinkedHashMap<>();
                msg.put("role", "assistant");
                msg.put("content", text);
                c.put("message", msg);
            } else {
                c.put("text", text);
            }
            c.put("logprobs", logprobs);
            c.put("finish_reason", finish);
            return c;
        }

        Map<String, Object> head(boolean chunk) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", (chat ? "chatcmpl-" : "cmpl-") + id);
            m.put("object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion");
            m.put("created", created);
            m.put("model", g.id());
            return m;
        }

        Map<String, Object> usage() {
            Map<String, Object> u = new LinkedHashMap<>();
            u.put("prompt_tokens", promptTokens);
            u.put("completion_tokens", count);
            u.put("total_tokens", promptTokens + count);
            return u;
        }
    }

    private static void event(OutputStream out, Map<String, Object> m) throws IOException {
        write(out, "data: " + Json.write(m) + "\n\n");
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
