package fsc.runtime.serve;

/**
 * Loads a model for {@code POST /admin/models} (the CLI's: compile a .gguf/.onnx through the cache,
 * open the jar, build an engine with the server's options). Runs on the admin request's thread.
 */
@FunctionalInterface
public interface ModelLoader {
    /**
     * @param id the id clients will name it by
     * @param path a model .jar, .gguf or .onnx on the server's file system
     * @param tokenizer a tokenizer.json for an encoder, or null
     * @throws fsc.runtime.RuntimeFailure for a model that cannot be served (answered 400 with its message)
     */
    ServedModel load(String id, String path, String tokenizer) throws Exception;
}
