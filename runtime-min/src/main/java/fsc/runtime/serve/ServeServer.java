package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import fsc.runtime.serve.chat.ChatTemplate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The HTTP front, OpenAI-compatible: {@code /v1/models}, {@code /v1/completions}, {@code
 * /v1/chat/completions}, {@code /v1/embeddings}, each routed by the body's {@code model} to one of
 * the {@link ModelRegistry}'s models; {@code /admin/models} loads and unloads them; {@code
 * /metrics} and {@code /health}. The JDK's server with one virtual thread per exchange, so a
 * waiting stream costs no platform thread. Every exchange ends with one access-log line.
 */
public final class ServeServer implements AutoCloseable {
    /**
     * @param maxRequestBytes request bodies above it get 413
     * @param maxPromptTokens prompts (and embedding inputs) above it get 400
     * @param maxTokens the largest {@code max_tokens} accepted
     * @param maxEmbeddingInputs texts per embeddings request
     */
    public record Limits(int maxRequestBytes, int maxPromptTokens, int maxTokens, int maxEmbeddingInputs) {
        public static Limits defaults(int maxContext) {
            return new Limits(1 << 20, Math.max(1, maxContext - 1), Math.max(1, maxContext - 1), 64);
        }
    }

    /**
     * @param keys {@code --api-keys}, or null for an open server
     * @param loader loads models for {@code POST /admin/models}, or null (then it answers 405)
     * @param accessLog receives one line per request
     * @param unloadGraceMillis how long an unloaded model's accepted requests may run on
     */
    public record Options(ApiKeys keys, ModelLoader loader, Consumer<String> accessLog, long unloadGraceMillis) {
        public static Options defaults() {
            return new Options(null, null, line -> {}, 5000);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final ModelRegistry models;
    private final MetricsPage metricsPage = new MetricsPage();
    /** Bodies above the largest any route takes ({@link Limits#defaults}) get 413 before a handler reads them. */
    private final RequestGuard guard = new RequestGuard(Limits.defaults(1).maxRequestBytes());

    private ServeServer(HttpServer server, ExecutorService executor, ModelRegistry models) {
        this.server = server;
        this.executor = executor;
        this.models = models;
    }

    /** Serves {@code models} (engines already started) until {@link #shutdown}. */
    public static ServeServer start(InetSocketAddress address, ModelRegistry models, Options options)
            throws IOException {
        ConnectionLimits.install();
        HttpServer http;
        try {
            http = HttpServer.create(address, 1024);
        } catch (java.net.BindException e) {
            throw new IOException(
                    "cannot listen on " + address.getHostString() + ":" + address.getPort() + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        ServeServer s = new ServeServer(http, executor, models);
        Access access = new Access(options.keys());
        AtomicLong ids = new AtomicLong();
        s.route(http, "/v1/completions", new GenerationHandler(models, access, false, ids), options);
        s.route(http, "/v1/chat/completions", new GenerationHandler(models, access, true, ids), options);
        s.route(http, "/v1/embeddings", new EmbeddingHandler(models, access), options);
        s.route(http, "/v1/models", new ModelsHandler(models, access), options);
        s.route(
                http,
                "/admin/models",
                new AdminHandler(models, access, options.loader(), options.unloadGraceMillis()),
                options);
        s.route(
                http,
                "/metrics",
                ex -> {
                    try (ex) {
                        HttpIo.send(
                                ex,
                                200,
                                "text/plain; version=0.0.4; charset=utf-8",
                                s.metricsPage.render(models.list()));
                    }
                },
                options);
        s.route(http, "/health", s::health, options);
        s.route(
                http,
                "/",
                ex -> {
                    try (ex) {
                        HttpIo.error(ex, 404, "no route " + ex.getRequestURI().getPath(), 0);
                    }
                },
                options);
        http.start();
        return s;
    }

    /**
     * A route whose every exchange passes the {@link RequestGuard} (header and body limits, no 5xx by
     * accident) and is counted and access-logged.
     */
    private void route(HttpServer http, String path, HttpHandler handler, Options options) {
        var context = http.createContext(path, ex -> {
            long t0 = System.nanoTime();
            RequestLog log = new RequestLog();
            try {
                ScopedValue.where(RequestLog.CURRENT, log).call(() -> {
                    handler.handle(ex);
                    return null;
                });
            } finally {
                metricsPage.counted(path, ex.getResponseCode());
                options.accessLog().accept(log.line(ex, (System.nanoTime() - t0) / 1e6));
            }
        });
        context.getFilters().add(guard);
    }

    /** Serves one decoder through {@code engine} (already started); its chat route uses the fallback template. */
    public static ServeServer completions(
            InetSocketAddress address, ServeEngine engine, TextModel text, Limits limits, String modelName)
            throws IOException {
        ModelRegistry r = new ModelRegistry();
        r.add(new ServedModel.Generator(
                modelName,
                engine,
                text,
                ChatTemplate.of(null, "", "", LocalDate::now),
                limits,
                1,
                System.currentTimeMillis() / 1000,
                () -> {}));
        return start(address, r, Options.defaults());
    }

    /** Serves one encoder's sentence embeddings. */
    public static ServeServer embeddings(
            InetSocketAddress address, Embedder embedder, Metrics metrics, Limits limits, String modelName)
            throws IOException {
        ModelRegistry r = new ModelRegistry();
        r.add(new ServedModel.Encoder(
                modelName, embedder, metrics, limits, System.currentTimeMillis() / 1000, () -> {}));
        return start(address, r, Options.defaults());
    }

    private void health(HttpExchange ex) throws IOException {
        try (ex) {
            boolean draining = false;
            int active = 0;
            int used = 0;
            int total = 0;
            List<Object> list = new ArrayList<>();
            for (ServedModel m : models.list()) {
                Metrics.Gauges g = m.metrics().gauges();
                boolean d =
                        m instanceof ServedModel.Generator gen && gen.engine().draining();
                draining |= d;
                active += m.active();
                used += g.kvUsed();
                total += g.kvTotal();
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("id", m.id());
                e.put("status", d ? "draining" : "ok");
                e.put("active", m.active());
                e.put("kv_blocks_used", g.kvUsed());
                e.put("kv_blocks_total", g.kvTotal());
                list.add(e);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", draining ? "draining" : "ok");
            m.put("active", active);
            m.put("kv_blocks_used", used);
            m.put("kv_blocks_total", total);
            m.put("models", list);
            HttpIo.json(ex, draining ? 503 : 200, m);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public ModelRegistry models() {
        return models;
    }

    /**
     * Drains: new requests get 503 while accepted ones finish (up to {@code graceMillis}), then the
     * listener stops and each engine ends whatever is left with an error event and frees its model.
     */
    public void shutdown(long graceMillis) {
        List<ServedModel> all = models.list();
        for (ServedModel m : all) {
            if (m instanceof ServedModel.Generator g) {
                g.engine().drain();
            }
        }
        long end = System.nanoTime() + graceMillis * 1_000_000;
        while (all.stream().anyMatch(m -> m.active() > 0) && System.nanoTime() < end) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (ServedModel m : all) {
            models.remove(m.id());
            m.shutdown(0);
        }
        server.stop(1);
        executor.shutdownNow();
    }

    @Override
    public void close() {
        shutdown(0);
    }
}
