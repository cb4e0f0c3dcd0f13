package fsc.runtime;

import java.util.List;
import java.util.Map;

/**
 * What a generated model class implements. Generated code validates inputs with a {@link
 * Signature} (dtype, rank, fixed dims, symbolic dims within their bounds and consistent across
 * inputs) and reports a mismatch as a one-line {@link RuntimeFailure}.
 */
public interface CompiledModel extends AutoCloseable {
    /** Input names in the model's declared order. */
    List<String> inputNames();

    /** Output names in the model's declared order. */
    List<String> outputNames();

    /**
     * Runs one inference. Returns a {@link java.util.LinkedHashMap} in {@link #outputNames()} order;
     * output tensors stay valid until the next call to {@code run} or {@link #close()} unless the
     * implementation documents that it copies them.
     */
    Map<String, Tensor> run(Map<String, Tensor> inputs);

    /** Releases the arena, mapped weights and worker threads. */
    @Override
    void close();
}
