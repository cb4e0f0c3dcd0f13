package fsc.runtime.cuda;

import java.util.List;

/**
 * What a generated CUDA host class tells the runtime: the symbols a call binds (sorted), the arena
 * size, where each input and output lives in the arena, and the launches of one call. Implemented by
 * the class {@code backend-cuda} emits with JavaPoet; geometry formulas are baked into it.
 */
public interface CudaProgram {
    /** An input or output: its name, its byte offset in the arena, and its element size. */
    record Slot(String name, long offset, int elementBytes) {}

    List<String> symbols();

    long arenaBytes();

    List<Slot> inputs();

    List<Slot> outputs();

    /** Every launch of one call with these symbol values (in {@link #symbols()} order). */
    List<KernelLaunch> launches(long[] symbols);
}
