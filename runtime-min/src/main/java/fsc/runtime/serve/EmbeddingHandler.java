package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import fsc.runtime.RuntimeFailure;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code POST /v1/embeddings}: {@code {"input": "text" | ["a", "b"]}} → one normalised vector per input. */
final class EmbeddingHandler implements HttpHandler {
    private final Embedder embedder;
    private final ServeServer.Limits limits;
    private final String modelName;

    EmbeddingHandler(Embedder embedder, ServeServer.Limits limits, String modelName) {
        this.embedder = embedder;
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
            List<String> inputs;
            try {
                inputs = inputs(HttpIo.body(ex, limits.maxRequestBytes()));
            } catch (HttpIo.BadRequest e) {
                HttpIo.error(ex, 400, e.getMessage(), 0);
                return;
            }
            float[][] vectors;
            try {
                vectors = embedder.embed(inputs);
            } catch (RuntimeFailure e) {
                HttpIo.error(ex, 500, e.getMessage(), 0);
                return;
            }
            List<Object> data = new ArrayList<>();
            int tokens = 0;
            for (int i = 0; i < vectors.length; i++) {
                List<Object> v = new ArrayList<>(vectors[i].length);
                for (float f : vectors[i]) {
                    v.add((double) f);
                }
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("object", "embedding");
                d.put("index", i);
                d.put("embedding", v);
                data.add(d);
                tokens += embedder.tokens(inputs.get(i));
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("object", "list");
            m.put("model", modelName);
            m.put("data", data);
            m.put("usage", Map.of("prompt_tokens", tokens));
            HttpIo.json(ex, 200, m);
        }
    }

    private List<String> inputs(String body) {
        Object doc = HttpIo.parseJson(body);
        if (!(doc instanceof Map<?, ?> m) || m.get("input") == null) {
            throw new HttpIo.BadRequest("the body must be an object with 'input'");
        }
        List<String> out = new ArrayList<>();
        if (m.get("input") instanceof String s) {
            out.add(s);
        } else if (m.get("input") instanceof List<?> l) {
            for (Object o : l) {
                if (!(o instanceof String s)) {
                    throw new HttpIo.BadRequest("'input' must be a string or a list of strings");
                }
                out.add(s);
            }
        } else {
            throw new HttpIo.BadRequest("'input' must be a string or a list of strings");
        }
        if (out.isEmpty() || out.size() > limits.maxEmbeddingInputs()) {
            throw new HttpIo.BadRequest(
                    "'input' holds 1.." + limits.maxEmbeddingInputs() + " texts, got " + out.size());
        }
        for (String s : out) {
            if (embedder.tokens(s) > limits.maxPromptTokens()) {
                throw new HttpIo.BadRequest("an input has more than " + limits.maxPromptTokens() + " tokens");
            }
        }
        return out;
    }
}
