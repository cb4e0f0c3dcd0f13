package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import fsc.runtime.RuntimeFailure;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loading and unloading models without a restart. {@code POST /admin/models} with {@code {"id":
 * "name", "path": "/models/x.jar"}} (plus {@code "tokenizer"} for an encoder) loads a model and
 * answers 201 once it serves; {@code DELETE /admin/models/{id}} stops routing to it at once, lets
 * its accepted requests finish within the grace period, then frees it. With {@code --api-keys},
 * only keys marked {@code admin} may call these routes.
 */
final class AdminHandler implements HttpHandler {
    private final ModelRegistry models;
    private final Access access;
    private final ModelLoader loader;
    private final long graceMillis;

    AdminHandler(ModelRegistry models, Access access, ModelLoader loader, long graceMillis) {
        this.models = models;
        this.access = access;
        this.loader = loader;
        this.graceMillis = graceMillis;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                access.admit(ex, true);
                String path = ex.getRequestURI().getPath();
                String rest = path.startsWith("/admin/models/") ? path.substring("/admin/models/".length()) : "";
                switch (ex.getRequestMethod()) {
                    case "POST" -> {
                        if (!rest.isEmpty()) {
                            throw new HttpIo.HttpError(405, "POST /admin/models (no id in the path)");
                        }
                        load(ex);
                    }
                    case "DELETE" -> unload(ex, rest);
                    case "GET" ->
                        HttpIo.json(
                                ex,
                                200,
                                Map.of(
                                        "data",
                                        models.list().stream()
                                                .map(ModelsHandler::describe)
                                                .toList()));
                    default -> throw new HttpIo.HttpError(405, "use POST, DELETE or GET");
                }
            } catch (HttpIo.HttpError e) {
                HttpIo.error(ex, e);
            }
        }
    }

    private void load(HttpExchange ex) throws IOException {
        if (loader == null) {
            throw new HttpIo.HttpError(405, "this server was started without a model loader");
        }
        Map<?, ?> m;
        try {
            Object doc = HttpIo.parseJson(HttpIo.body(ex, 64 << 10));
            if (!(doc instanceof Map<?, ?> map)) {
                throw new HttpIo.BadRequest("the body must be a JSON object");
            }
            m = map;
            for (Object k : m.keySet()) {
                if (!List.of("id", "path", "tokenizer").contains(k)) {
                    throw new HttpIo.BadRequest("unknown field '" + k + "'");
                }
            }
            if (!(m.get("id") instanceof String id) || !id.matches("[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")) {
                throw new HttpIo.BadRequest("'id' must be 1-128 of letters, digits and . _ : / -");
            }
            if (!(m.get("path") instanceof String)) {
                throw new HttpIo.BadRequest("'path' must be a string");
            }
            if (m.get("tokenizer") != null && !(m.get("tokenizer") instanceof String)) {
                throw new HttpIo.BadRequest("'tokenizer' must be a string");
            }
        } catch (HttpIo.BadRequest | RuntimeFailure e) {
            throw new HttpIo.HttpError(400, e.getMessage());
        }
        String id = (String) m.get("id");
        if (models.contains(id)) {
            throw new HttpIo.HttpError(409, "a model '" + id + "' is already loaded");
        }
        RequestLog.of(ex).model = id;
        ServedModel loaded;
        try {
            loaded = loader.load(id, (String) m.get("path"), (String) m.get("tokenizer"));
        } catch (RuntimeFailure | IllegalArgumentException e) {
            throw new HttpIo.HttpError(400, "cannot load '" + id + "': " + e.getMessage());
        } catch (Exception e) {
            throw new HttpIo.HttpError(500, "cannot load '" + id + "': " + e);
        }
        try {
            models.add(loaded);
        } catch (IllegalArgumentException e) { // loaded twice at once: keep the first
            loaded.shutdown(0);
            throw new HttpIo.HttpError(409, e.getMessage());
        }
        HttpIo.json(ex, 201, ModelsHandler.describe(loaded));
    }

    private void unload(HttpExchange ex, String id) throws IOException {
        RequestLog.of(ex).model = id;
        ServedModel m = models.remove(id);
        if (m == null) {
            throw new HttpIo.HttpError(404, "The model '" + id + "' does not exist", "model_not_found");
        }
        m.shutdown(graceMillis);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("object", "model");
        out.put("deleted", true);
        HttpIo.json(ex, 200, out);
    }
}
