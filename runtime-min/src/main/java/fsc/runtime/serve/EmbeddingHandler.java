package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import fsc.runtime.RuntimeFailure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code POST /v1/embeddings}: {@code {"input": "text" | ["a", "b"]}} → one normalised vector per input. */
final class EmbeddingHandler implements HttpHandler {
    private final ModelRegistry models;
    private final Access access;

    EmbeddingHandler(ModelRegistry models, Access access) {
        this.models = models;
        this.access = access;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            RequestLog log = RequestLog.of(ex);
            try {
                if (!ex.getRequestMethod().equals("POST")) {
                    throw new HttpIo.HttpError(405, "use POST");
                }
                ApiKeys.Key key = access.admit(ex, false);
                Map<?, ?> doc;
                ServedModel.Encoder m;
                List<String> inputs;
                boolean base64;
                try {
                    doc = document(HttpIo.body(ex, 1 << 20));
                    if (doc.get("model") != null && !(doc.get("model") instanceof String)) {
                        throw new HttpIo.BadRequest("'model' must be a string");
                    }
                    m = models.resolve((String) doc.get("model"), ServedModel.Encoder.class, "/v1/embeddings");
                    log.model = m.id();
                    Object format = doc.get("encoding_format");
                    if (format != null && !"float".equals(format) && !"base64".equals(format)) {
                        throw new HttpIo.BadRequest("'encoding_format' must be \"float\" or \"base64\"");
                    }
                    base64 = "base64".equals(format);
                    inputs = inputs(doc, m);
                } catch (HttpIo.BadRequest e) {
                    throw new HttpIo.HttpError(400, e.getMessage());
                }
                int tokens = 0;
                for (String s : inputs) {
                    tokens += m.embedder().tokens(s);
                }
                log.promptTokens = tokens;
                access.admitTokens(key, tokens);
                float[][] vectors;
                try {
                    vectors = m.embedder().embed(inputs);
                } catch (RuntimeFailure e) {
                    throw new HttpIo.HttpError(500, e.getMessage());
                }
                List<Object> data = new ArrayList<>();
                for (int i = 0; i < vectors.length; i++) {
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("object", "embedding");
                    d.put("index", i);
                    d.put("embedding", base64 ? base64(vectors[i]) : list(vectors[i]));
                    data.add(d);
                }
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("object", "list");
                out.put("model", m.id());
                out.put("data", data);
                out.put("usage", Map.of("prompt_tokens", tokens, "total_tokens", tokens));
                HttpIo.json(ex, 200, out);
            } catch (HttpIo.HttpError e) {
                HttpIo.error(ex, e);
            }
        }
    }

    private static List<Object> list(float[] v) {
        List<Object> out = new ArrayList<>(v.length);
        for (float f : v) {
            out.add((double) f);
        }
        return out;
    }

    /** OpenAI's base64 form (what its clients ask for by default): little-endian float32s. */
    private static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return Base64.getEncoder().encodeToString(b.array());
    }

    private static Map<?, ?> document(String body) {
        Object doc = HttpIo.parseJson(body);
        if (!(doc instanceof Map<?, ?> m) || m.get("input") == null) {
            throw new HttpIo.BadRequest("the body must be an object with 'input'");
        }
        for (Object k : m.keySet()) {
            if (!List.of("input", "model", "encoding_format", "user").contains(k)) {
                throw new HttpIo.BadRequest("unknown field '" + k + "'");
            }
        }
        return m;
    }

    private static List<String> inputs(Map<?, ?> m, ServedModel.Encoder model) {
        ServeServer.Limits limits = model.limits();
        Embedder embedder = model.embedder();
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
