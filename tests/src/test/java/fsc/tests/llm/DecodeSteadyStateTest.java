package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.frontend.gguf.arch.DecoderNumerics;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A decode step allocates nothing once the JIT has settled: {@link Decoder#step(int[], int[], int[],
 * int[], float[])} writes the logits into the caller's array, and every kernel on the one-token path
 * (matmuls, attention, embedding) keeps its scratch and parallel task per thread. Garbage per token
 * is a GC pause every few hundred tokens in a long generation. Measured as in SteadyStateTest: windows
 * of steps on the calling thread until one allocates (almost) nothing; a steady state never reached
 * fails after all the windows.
 */
class DecodeSteadyStateTest {
    @ParameterizedTest(name = "{2}, {0} thread(s), {1} numerics")
    @CsvSource({
        "1, F32, stories260K.gguf",
        "2, LLAMA_CPP, stories260K.gguf",
        // Q4_K and Q6_K weights: the K-quant matvec's per-thread scratch (f32), Q8_K activations (llama-cpp)
        "1, F32, synth-llama-a-Q4_K_M.gguf",
        "2, F32, synth-llama-a-Q4_K_M.gguf",
        "2, LLAMA_CPP, synth-llama-a-Q4_K_M.gguf",
        // Q8_0 weights: the machine-code matvec's per-thread parameter block
        "2, F32, stories260K-Q8_0.gguf",
        // Q8_0 weights, Q8_0 activations: the quantized row and the kernel's parameter block per thread
        "1, LLAMA_CPP, stories260K-Q8_0.gguf",
        "2, LLAMA_CPP, stories260K-Q8_0.gguf"
    })
    void decodeStepsAllocateNothing(int threads, DecoderNumerics numerics, String file) {
        Path jar = CompiledDecoders.jar(file, numerics);
        try (CompiledModel model = ArtifactLoader.open(jar, threads)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            try (KvCache cache = new KvCache(config.layout(), 32, 1, config.maxContext())) {
                Decoder decoder = new Decoder(model, config, cache);
                float[] logits = new float[config.vocab()];
                int[] token = {1};
                int[] position = {0};
                int[] seq = {0};
                int[] row = {0};
                var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                List<Long> windows = new ArrayList<>();
                long allocated = Long.MAX_VALUE;
                // Steps run over and over through one short sequence (released when the context is
                // full), so the attention length varies as in real decoding.
                int span = Math.min(config.maxContext(), 200);
                for (int round = 0; round < 40 && allocated > 1024; round++) {
                    for (int i = 0; i < 400; i++) {
                        step(decoder, cache, span, token, position, seq, row, logits, i);
                    }
                    long before = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < 100; i++) {
                        step(decoder, cache, span, token, position, seq, row, logits, i);
                    }
                    allocated = mx.getCurrentThreadAllocatedBytes() - before;
                    windows.add(allocated);
                }
                assertTrue(
                        allocated <= 1024,
                        "100 steady-state decode steps allocated " + allocated + " bytes; windows: " + windows);
            }
        }
    }

    private static void step(
            Decoder decoder,
            KvCache cache,
            int span,
            int[] token,
            int[] position,
            int[] seq,
            int[] row,
            float[] logits,
            int i) {
        if (cache.length(0) == span) {
            cache.release(0);
        }
        position[0] = cache.append(0, 1);
        token[0] = 1 + (i * 7919) % 400;
        decoder.step(token, position, seq, row, logits);
    }
}
