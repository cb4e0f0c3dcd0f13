package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP front: {@code /v1/completions} (when a decoder is served), {@code /v1/embeddings} (when
 * an encoder is), {@code /metrics} and {@code /health}, on the JDK's server with one virtual thread
 * per exchange, so a waiting stream costs no platform thread.
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

    private final HttpServer server;
    private final ExecutorService executor;
    private final ServeEngine engine;
    private final Metrics metrics;
    private final RequestGuard guard;

    private ServeServer(
            HttpServer server, ExecutorService executor, ServeEngine engine, Metrics metrics, RequestGuard guard) {
        this.server = server;
        this.executor = executor;
        this.engine = engine;
        this.metrics = metrics;
        this.guard = guard;
    }

    /** Serves a decoder through {@code engine} (already started). */
    public static ServeServer completions(
            InetSocketAddress address, ServeEngine engine, TextModel text, Limits limits, String modelName)
            throws IOException {
        ServeServer s = open(address, engine, engine.metrics(), limits);
        s.route("/v1/completions", new CompletionHandler(engine, text, limits, modelName));
        s.server.start();
        return s;
    }

    /** Serves an encoder's sentence embeddings. */
    public static ServeServer embeddings(
            InetSocketAddress address, Embedder embedder, Metrics metrics, Limits limits, String modelName)
            throws IOException {
        ServeServer s = open(address, null, metrics, limits);
        s.route("/v1/embeddings", new EmbeddingHandler(embedder, limits, modelName));
        s.server.start();
        return s;
    }

    private static ServeServer open(InetSocketAddress address, ServeEngine engine, Metrics metrics, Limits limits)
            throws IOException {
        ConnectionLimits.install();
        HttpServer http = HttpServer.create(address, 1024);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        ServeServer s = new ServeServer(http, executor, engine, metrics, new RequestGuard(limits.maxRequestBytes()));
        s.route("/metrics", ex -> {
            try (ex) {
                HttpIo.send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render());
            }
        });
        s.route("/health", s::health);
        s.route("/", ex -> {
            try (ex) {
                HttpIo.error(ex, 404, "no route " + ex.getRequestURI().getPath(), 0);
            }
        });
        return s;
    }

    /** Every route goes through the {@link RequestGuard}: header and body limits, and no 5xx by accident. */
    private void route(String path, HttpHandler handler) {
        server.createContext(path, handler).getFilters().add(guard);
    }

    private void health(HttpExchange ex) throws IOException {
        try (ex) {
            boolean draining = engine != null && engine.draining();
            Metrics.Gauges g = metrics.gauges();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", draining ? "draining" : "ok");
            m.put("active", engine == null ? 0 : engine.active());
            m.put("kv_blocks_used", g.kvUsed());
            m.put("kv_blocks_total", g.kvTotal());
            HttpIo.json(ex, draining ? 503 : 200, m);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * Drains: new requests get 503 while accepted ones finish (up to {@code graceMillis}), then the
     * listener stops and the engine ends whatever is left with an error event.
     */
    public void shutdown(long graceMillis) {
        if (engine != null) {
            engine.drain();
            long end = System.nanoTime() + graceMillis * 1_000_000;
            while (engine.active() > 0 && System.nanoTime() < end) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            engine.close();
        }
        server.stop(1);
        executor.shutdownNow();
    }

    @Override
    public void close() {
        shutdown(0);
    }
}
