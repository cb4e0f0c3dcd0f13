package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /v1/models} and {@code GET /v1/models/{id}}: the loaded models, in OpenAI's shape. */
final class ModelsHandler implements HttpHandler {
    private final ModelRegistry models;
    private final Access access;

    ModelsHandler(ModelRegistry models, Access access) {
        this.models = models;
        this.access = access;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                if (!ex.getRequestMethod().equals("GET")) {
                    throw new HttpIo.HttpError(405, "use GET");
                }
                access.admit(ex, false);
                String path = ex.getRequestURI().getPath();
                String rest = path.length() > "/v1/models".length() ? path.substring("/v1/models/".length()) : "";
                if (!rest.isEmpty()) {
                    ServedModel m = models.get(rest);
                    if (m == null) {
                        throw new HttpIo.HttpError(404, "The model '" + rest + "' does not exist", "model_not_found");
                    }
                    HttpIo.json(ex, 200, describe(m));
                    return;
                }
                List<Object> data = new ArrayList<>();
                for (ServedModel m : models.list()) {
                    data.add(describe(m));
                }
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("object", "list");
                out.put("data", data);
                HttpIo.json(ex, 200, out);
            } catch (HttpIo.HttpError e) {
                HttpIo.error(ex, e);
            }
        }
    }

    static Map<String, Object> describe(ServedModel m) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("id", m.id());
        d.put("object", "model");
        d.put("created", m.createdSeconds());
        d.put("owned_by", "fsc");
        d.put(
                "endpoints",
                m instanceof ServedModel.Generator
                        ? List.of("/v1/completions", "/v1/chat/completions")
                        : List.of("/v1/embeddings"));
        if (m instanceof ServedModel.Generator g) {
            d.put("max_model_len", g.limits().maxPromptTokens() + 1);
            d.put("chat_template", g.chat().isFallback() ? "fallback" : "model");
        }
        return d;
    }
}
