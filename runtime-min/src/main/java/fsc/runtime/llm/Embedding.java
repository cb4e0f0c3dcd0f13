package fsc.runtime.llm;

import static fsc.runtime.llm.LlmKernels.F32;
import static fsc.runtime.llm.LlmKernels.I32;

import fsc.runtime.RuntimeFailure;
import fsc.runtime.quant.Dequantize;
import fsc.runtime.quant.GgmlType;
import java.lang.foreign.MemorySegment;

/** Token embedding lookup in a table of any GGUF type: each row dequantized once into the output. */
final class Embedding {
    private static final ThreadLocal<float[]> EMBEDDING_ROW = ThreadLocal.withInitial(() -> new float[0]);

    private Embedding() {}

    /** Row {@code ids[i]} of {@code table} (vocab × dim, any GGUF type), dequantized into {@code y[i]}. */
    static void lookup(
            GgmlType type, MemorySegment table, int vocab, MemorySegment ids, MemorySegment y, int count, int dim) {
        long rowBytes = type.bytesFor(dim);
        float[] row = EMBEDDING_ROW.get();
        if (row.length < dim) {
            row = new float[dim];
            EMBEDDING_ROW.set(row);
        }
        for (int i = 0; i < count; i++) {
            int id = ids.get(I32, 4L * i);
            if (id < 0 || id >= vocab) {
                throw new RuntimeFailure("embedding: token id " + id + " is outside the vocabulary of " + vocab);
            }
            Dequantize.row(type, table, id * rowBytes, row, 0, dim);
            MemorySegment.copy(row, 0, y, F32, 4L * i * dim, dim);
        }
    }
}
