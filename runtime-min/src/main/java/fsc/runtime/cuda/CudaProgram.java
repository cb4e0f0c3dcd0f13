package fsc.runtime.cuda;

import fsc.runtime.ElemType;
import fsc.runtime.TensorSpec;
import java.util.List;

/**
 * What a generated CUDA host class tells the runtime: the symbols a call binds (sorted), the arena
 * size, where each input and output lives in the arena, and the launches of one call. Implemented by
 * the class {@code backend-cuda} emits with JavaPoet; geometry formulas are baked into it.
 */
public interface CudaProgram {
    /**
     * An input or output: its name, element type and byte offset in the arena. {@code copyBack} marks
     * an input that kernels update in place (the paged KV cache), so the host copies it back after
     * the call and the caller's tensor stays the one source of truth.
     */
    record Slot(String name, ElemType type, long offset, boolean copyBack) {
        public int elementBytes() {
            return type.byteSize();
        }
    }

    List<String> symbols();

    long arenaBytes();

    List<Slot> inputs();

    List<Slot> outputs();

    /** The inputs' dtypes and dims (fixed, or a symbol with its compiled bound), in {@link #inputs()} order. */
    List<TensorSpec> inputSpecs();

    /** Output {@code output}'s shape for these symbol values (in {@link #symbols()} order). */
    long[] outputShape(int output, long[] symbols);

    /** Every launch of one call with these symbol values (in {@link #symbols()} order). */
    List<KernelLaunch> launches(long[] symbols);
}
