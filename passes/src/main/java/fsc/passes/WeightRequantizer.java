package fsc.passes;

import fsc.ir.WeightData;

/**
 * The conversion the {@code quantize} pass applies to a decoder's packed-weight constants (GGUF
 * re-quantization): given a weight's name and data, its new data, or null to keep it. The compiler
 * supplies it (the type rules and quantizers are the GGUF frontend's); the pass rewrites the IR.
 */
@FunctionalInterface
public interface WeightRequantizer {
    WeightData requantize(String weight, WeightData data);
}
