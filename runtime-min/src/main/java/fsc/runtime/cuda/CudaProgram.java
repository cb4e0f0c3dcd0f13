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
    /** The device buffers a kernel addresses: its parameters {@code A}, {@code W} and {@code P}. */
    enum Buffer {
        ARENA,
        /** Constants; an output the compiler folded to a constant is read from here. */
        WEIGHTS,
        /**
         * The input kernels update in place (the paged KV cache), in its own device buffer sized by
         * the caller's tensor, which is uploaded when the caller hands over a different tensor and
         * otherwise stays on the device between calls; the device copy is the cache's content from then on.
         */
        STATE
    }

    /** An input or output: its name, element type, and byte offset in its buffer. */
    record Slot(String name, ElemType type, Buffer buffer, long offset) {
        public boolean resident() {
            return buffer == Buffer.STATE;
        }

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
