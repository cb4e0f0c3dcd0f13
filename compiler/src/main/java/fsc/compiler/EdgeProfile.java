package fsc.compiler;

import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Value;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code --profile edge}: the settings a small device wants, filled in where the user gave none
 * (an explicit option always wins), on the one compile path:
 *
 * <ul>
 *   <li>ONNX encoders: int8 weights ({@code --quantize int8}: per-channel int8 weights, activations
 *       quantized per tensor at run time, 4× smaller than f32), and one sequence: the symbol on the
 *       first axis of the graph inputs is bounded by 1, so the arena is sized for one request
 *       (MiniLM's arena at 1 × 512 instead of 64 × 512);
 *   <li>GGUF decoders: the weights stay in the file's quant type (Q4_0 stays Q4_0; fsc never
 *       widens GGUF weights), one sequence per step, steps of at most {@value #BATCH_TOKENS}
 *       tokens, KV blocks of {@value #BLOCK} positions, an f16 KV cache (half of f32's), and a
 *       context of at most {@value #CONTEXT} positions.
 * </ul>
 *
 * {@code --memory-cap} then bounds what the settings may need ({@link MemoryCap}).
 */
final class EdgeProfile {
    static final String NAME = "edge";
    static final int CONTEXT = 1024;
    static final int BATCH_TOKENS = 32;
    static final int BLOCK = 16;

    private EdgeProfile() {}

    static boolean on(CompileSettings s) {
        return NAME.equals(s.profile());
    }

    /** The GGUF decoder's base options under the profile (replacing the defaults, before the options). */
    static DecoderOptions decoderBase() {
        return new DecoderOptions(0, BATCH_TOKENS, 1, BLOCK);
    }

    /** ONNX: the quantization the profile asks for when the user gave none. */
    static QuantizeOptions quantize(CompileSettings s) {
        return s.quantize().quantizing() ? s.quantize() : s.quantize().withMode("int8");
    }

    /**
     * The imported graph with every symbol that stands first in a graph input's shape, and that the
     * user did not bound, bounded by 1 (one sequence). Only a bare symbol counts ({@code batch},
     * not {@code 2·batch}); a model with no symbolic first axis is returned as it is.
     */
    static Graph oneSequence(Graph g, CompileSettings s) {
        Map<String, Long> bounds = new TreeMap<>();
        for (Value in : g.inputs()) {
            if (in.type().dims().isEmpty()) {
                continue;
            }
            Dim first = in.type().dims().getFirst();
            if (first.coeff() == 1 && first.symbols().size() == 1) {
                String sym = first.symbols().getFirst();
                if (!s.bounds().containsKey(sym) && g.symbols().containsKey(sym)) {
                    bounds.put(sym, 1L);
                }
            }
        }
        if (bounds.isEmpty()) {
            return g;
        }
        return IrFiles.withBounds(g, s.input(), bounds);
    }

    /**
     * The settings the compile runs with: under the profile, ONNX models get {@link #quantize} and
     * GGUF decoders {@link #decoderBase} with an f16 KV cache, each only where the user gave none.
     */
    static CompileSettings effective(CompileSettings s) {
        if (!on(s)) {
            return s;
        }
        return switch (s.format()) {
            case ONNX -> s.withQuantize(quantize(s));
            case GGUF ->
                s.withDecoder(
                        s.decoder() != null ? s.decoder() : decoderBase(),
                        s.kvCache() != null || s.numerics() != null ? s.kvCache() : "f16");
            case FSIR -> s;
        };
    }

    /** A decoder's context under the profile: the model's, at most {@value #CONTEXT}, unless given. */
    static int context(int trained) {
        return Math.min(trained, CONTEXT);
    }

    /** The profiles there are, for the refusal of an unknown one. */
    static void checkName(CompileSettings s) {
        if (s.profile() != null && !NAME.equals(s.profile())) {
            throw new FscException(s.input() + ": --profile " + s.profile() + " is not a profile (there is: edge)");
        }
    }
}
