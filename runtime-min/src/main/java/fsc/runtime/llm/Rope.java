package fsc.runtime.llm;

import static fsc.runtime.llm.LlmKernels.F32;
import static fsc.runtime.llm.LlmKernels.I32;
import static fsc.runtime.llm.LlmKernels.I64;

import fsc.runtime.RuntimeFailure;
import java.lang.foreign.MemorySegment;

/** Rotary position embedding (RoPE) in llama.cpp's two pairings, from precomputed cos/sin tables. */
final class Rope {
    private Rope() {}

    /**
     * Rotary embedding of {@code x} into {@code y}, for {@code x [batch, seq, heads * headDim]}
     * ({@code headsMajor} false) or {@code [batch, heads, seq, headDim]} (true). Within each head the
     * first {@code rotary} features rotate in pairs {@code (2i, 2i+1)} when {@code interleaved}
     * (llama.cpp's "normal" mode, LLaMA) or {@code (i, i + rotary/2)} (NeoX mode: Qwen2, Gemma) by the
     * angle in row {@code positions[b, s]} of the {@code cos}/{@code sin} tables {@code [P,
     * rotary/2]}; without positions ({@code positions == null}) the tables are {@code [batch, seq,
     * rotary/2]}. Positions are i32, or i64 when {@code longPositions}.
     */
    static void apply(
            MemorySegment x,
            MemorySegment cos,
            MemorySegment sin,
            int tableRows,
            MemorySegment positions,
            boolean longPositions,
            MemorySegment y,
            int batch,
            int seq,
            int heads,
            int headDim,
            int rotary,
            boolean headsMajor,
            boolean interleaved) {
        if (!x.equals(y)) {
            MemorySegment.copy(x, 0, y, 0, 4L * batch * seq * heads * headDim);
        }
        int half = rotary / 2;
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < seq; s++) {
                long token = (long) b * seq + s;
                long row = positions == null
                        ? token
                        : longPositions ? positions.get(I64, 8L * token) : positions.get(I32, 4L * token);
                if (row < 0 || row >= tableRows) {
                    throw new RuntimeFailure("rope: position " + row + " is outside the " + tableRows
                            + " rows of the cos/sin tables (the compiled context)");
                }
                for (int h = 0; h < heads; h++) {
                    long base =
                            headsMajor ? (((long) b * heads + h) * seq + s) * headDim : (token * heads + h) * headDim;
                    rotate(y, base, cos, sin, row * half, half, interleaved);
                }
            }
        }
    }

    private static void rotate(
            MemorySegment y,
            long base,
            MemorySegment cos,
            MemorySegment sin,
            long tableOff,
            int half,
            boolean interleaved) {
        for (int i = 0; i < half; i++) {
            long i1 = 4L * (base + (interleaved ? 2 * i : i));
            long i2 = 4L * (base + (interleaved ? 2 * i + 1 : i + half));
            float c = cos.get(F32, 4L * (tableOff + i));
            float s = sin.get(F32, 4L * (tableOff + i));
            float x1 = y.get(F32, i1);
            float x2 = y.get(F32, i2);
            y.set(F32, i1, x1 * c - x2 * s);
            y.set(F32, i2, x1 * s + x2 * c);
        }
    }
}
