package fsc.runtime.serve;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The models a server serves, by id, in load order. Thread-safe: admin requests add and remove while others read. */
public final class ModelRegistry {
    private final Map<String, ServedModel> models = new LinkedHashMap<>();

    /** @throws IllegalArgumentException when the id is taken */
    public synchronized void add(ServedModel m) {
        if (models.containsKey(m.id())) {
            throw new IllegalArgumentException("a model '" + m.id() + "' is already loaded");
        }
        models.put(m.id(), m);
    }

    /** Removes (no longer routed to) and returns the model, or null; the caller shuts it down. */
    public synchronized ServedModel remove(String id) {
        return models.remove(id);
    }

    public synchronized ServedModel get(String id) {
        return models.get(id);
    }

    public synchronized List<ServedModel> list() {
        return new ArrayList<>(models.values());
    }

    public synchronized boolean contains(String id) {
        return models.containsKey(id);
    }

    /**
     * The model a request names, of the wanted kind. Without a {@code model} field, the only model
     * of that kind (clients of a one-model server need not name it).
     *
     * @throws HttpIo.HttpError 404 for an unknown id, 400 when the id is of the other kind or is missing
     *     and ambiguous
     */
    synchronized <T extends ServedModel> T resolve(String id, Class<T> kind, String route) {
        if (id == null) {
            List<T> of = models.values().stream()
                    .filter(kind::isInstance)
                    .map(kind::cast)
                    .toList();
            if (of.size() == 1) {
                return of.getFirst();
            }
            throw new HttpIo.HttpError(
                    400,
                    of.isEmpty() ? "no model here serves " + route : "'model' is required: several models are loaded");
        }
        ServedModel m = models.get(id);
        if (m == null) {
            throw new HttpIo.HttpError(404, "The model '" + id + "' does not exist", "model_not_found");
        }
        if (!kind.isInstance(m)) {
            throw new HttpIo.HttpError(400, "the model '" + id + "' does not serve " + route);
        }
        return kind.cast(m);
    }
}
