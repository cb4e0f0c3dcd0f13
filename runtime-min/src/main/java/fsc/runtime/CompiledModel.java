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

    /**
     * Runs one inference with values that may be containers: a {@link Tensor}, a {@link
     * TensorSequence}, or a {@link java.util.Optional} of either (empty: no value). Models whose inputs
     * and outputs are all tensors run {@link #run}; a model with a sequence or optional input or
     * output implements this and refuses {@code run}.
     */
    default Map<String, Object> runValues(Map<String, Object> inputs) {
        Map<String, Tensor> tensors = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Object> e : inputs.entrySet()) {
            if (!(e.getValue() instanceof Tensor t)) {
                throw new RuntimeFailure("input '" + e.getKey() + "' is a "
                        + e.getValue().getClass().getSimpleName() + "; this model takes tensors only");
            }
            tensors.put(e.getKey(), t);
        }
        return new java.util.LinkedHashMap<>(run(tensors));
    }

    /**
     * The activation arena's size (the memory plan at the symbols' bounds) and the bytes of it resident
     * in RAM now, which follow the largest sizes run so far ({@link ActivationMemory}). A diagnostic
     * (it asks the kernel page by page), not for a per-call path. {@link ActivationMemory.Usage#NONE}
     * for a model without a host arena.
     */
    default ActivationMemory.Usage arenaUsage() {
        return ActivationMemory.Usage.NONE;
    }

    /** Releases the arena, mapped weights and worker threads. */
    @Override
    void close();
}
