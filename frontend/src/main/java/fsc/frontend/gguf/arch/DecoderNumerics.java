package fsc.frontend.gguf.arch;

import fsc.ir.FscException;

/**
 * How a compiled decoder rounds (the {@code --numerics} option).
 *
 * <p>{@link #F32}: activations stay f32 through every matmul and attention; the most accurate, and
 * the default. {@link #LLAMA_CPP}: round where llama.cpp's CPU backend rounds, so that its logits
 * are reproduced (within ~1e-5 on the K-quant reference model, where f32 differs by up to ~1.3):
 * activation rows entering a K-quant matmul are quantized to Q8_K, those entering a Q4_0/Q8_0
 * matmul to Q8_0, and dotted in integers, the KV
 * cache is f16, and attention is ggml's flash attention with an f16 output accumulator.
 */
public enum DecoderNumerics {
    F32("f32"),
    LLAMA_CPP("llama-cpp");

    private final String cliName;

    DecoderNumerics(String cliName) {
        this.cliName = cliName;
    }

    /** The name {@code --numerics} takes and {@code fsc/llm.json} records. */
    public String cliName() {
        return cliName;
    }

    public static DecoderNumerics byName(String name) {
        for (DecoderNumerics n : values()) {
            if (n.cliName.equals(name)) {
                return n;
            }
        }
        throw new FscException("unknown --numerics '" + name + "'", "use f32 (default) or llama-cpp");
    }
}
