package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.cli.ArtifactLoader;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.Sampler;
import fsc.runtime.llm.TextCodec;
import org.junit.jupiter.api.Test;

/**
 * The Q4_K/Q6_K synthetic model against llama.cpp's top-8 logits for the first four steps.
 *
 * <p>The data's README asks for 0.05, but that is not reachable with f32 activations on this model:
 * llama.cpp quantizes every activation row to 8 bits (Q8_K) before its K-quant dot products, and
 * with random weights the logits are large (~50), so its results move by up to ~1.3. An independent
 * f64 NumPy forward pass of the same file gives 47.3386 for the top token, as fsc does (llama.cpp:
 * 48.577); emulating Q8_K activations in that NumPy pass gives 48.40 and llama.cpp's ordering. So
 * this test holds fsc to the reference within 1.5 (3%) and requires the same top token at every
 * reference step; docs/LLM.md records the measured differences.
 */
class KQuantLogitsTest {
    private static final String FILE = "synth-llama-a-Q4_K_M.gguf";
    private static final double TOLERANCE = 1.5;

    @Test
    void topLogitsCloseToLlamaCppAndSameTopToken() {
        try (CompiledModel model = ArtifactLoader.open(CompiledDecoders.jar(FILE), 1)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            GgufReferences ref = GgufReferences.forModel(FILE).getFirst();
            assertArrayEquals(ref.promptIds(), new TextCodec(config.tokenizer()).encode(ref.prompt()));
            try (KvCache cache = new KvCache(config.layout(), 16, 1, config.maxContext())) {
                Decoder d = new Decoder(model, config, cache);
                int n = ref.promptIds().length;
                cache.append(0, n);
                int[] positions = new int[n];
                for (int i = 0; i < n; i++) {
                    positions[i] = i;
                }
                float[] logits = d.step(ref.promptIds(), positions, new int[n], new int[] {n - 1});
                for (GgufReferences.TopLogits top : ref.top()) {
                    for (int i = 0; i < top.ids().length; i++) {
                        assertEquals(
                                top.logits()[i],
                                logits[top.ids()[i]],
                                TOLERANCE,
                                "step " + top.step() + " token " + top.ids()[i]);
                    }
                    int next = ref.generatedIds()[top.step()];
                    assertEquals(next, Sampler.argmax(logits, 0, config.vocab()), "greedy token of step " + top.step());
                    int pos = cache.append(0, 1);
                    logits = d.step(new int[] {next}, new int[] {pos}, new int[] {0}, new int[] {0});
                }
            }
        }
    }
}
