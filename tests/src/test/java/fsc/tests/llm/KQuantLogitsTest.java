package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.frontend.gguf.arch.DecoderNumerics;
import fsc.runtime.CompiledModel;
import fsc.runtime.ElemType;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.Sampler;
import fsc.runtime.llm.TextCodec;
import org.junit.jupiter.api.Test;

/**
 * The Q4_K/Q6_K synthetic model against llama.cpp.
 *
 * <p>llama.cpp's CPU backend quantizes activations to Q8_K, keeps the KV cache in f16 and
 * accumulates flash attention in f16. This model's output head has weights of std 1 (logits ~50)
 * and amplifies a relative activation error of 1e-3 into ~0.15 on the logits, so those roundings
 * move llama.cpp's logits by up to ~1.3 from an f32 computation of the same weights, and greedy
 * decoding parts at step 11, where the f32 top-2 margin is 0.55. No f32 computation can meet the
 * README's 0.05 (docs/LLM.md has the measurements). So: (1) {@link LlamaOracle} with llama.cpp's
 * roundings reproduces the reference's top-8 logits within 0.05 (in fact ~1e-5) and, fed
 * llama.cpp's tokens, picks llama.cpp's greedy id at every step but one near tie; that pins the
 * Q4_K and Q6_K layouts, rope, norms and GQA mapping against llama.cpp itself; (2) fsc's compiled
 * decoder in its default f32 numerics matches the same oracle in f32 closely, step for step, with
 * the same greedy ids; (3) fsc's decoder compiled with {@code --numerics llama-cpp} (Q8_K
 * activations, f16 cache, f16 flash attention) meets llama.cpp's reference itself within 0.05
 * (measured ~2e-5), with the same near tie.
 */
class KQuantLogitsTest {
    private static final String FILE = "synth-llama-a-Q4_K_M.gguf";
    private static final double LLAMA_CPP_TOLERANCE = 0.05;
    /**
     * Step 9 is a near tie, not the README's margin of 0.5: with llama.cpp-like roundings tokens 348
     * and 314 are within 0.3 (Q8_K activations only: 348 by 0.28; with unfused f16 attention: 348 by
     * 0.13; with f16 flash attention, as this oracle: 314 by 0.2; f32 alone: 348 by 0.55), so the
     * winner depends on roundings no emulation here pins down (steps 0-3, with this oracle, match to ~1e-5).
     */
    private static final int NEAR_TIE_STEP = 9;

    private static final double NEAR_TIE_MARGIN = 0.3;
    /** f32 sums in different orders, on logits of ~50. */
    private static final double F32_TOLERANCE = 0.01;

    @Test
    void oracleWithLlamaCppRoundingReproducesTheReference() {
        GgufReferences ref = GgufReferences.forModel(FILE).getFirst();
        LlamaOracle oracle = new LlamaOracle(GgufReferences.model(FILE), LlamaOracle.Numerics.LLAMA_CPP_CPU);
        float[] logits = prefill(oracle, ref.promptIds());
        for (int step = 0; step < ref.generatedIds().length; step++) {
            if (step < ref.top().size()) {
                GgufReferences.TopLogits top = ref.top().get(step);
                assertEquals(step, top.step());
                for (int i = 0; i < top.ids().length; i++) {
                    assertEquals(
                            top.logits()[i],
                            logits[top.ids()[i]],
                            LLAMA_CPP_TOLERANCE,
                            "step " + step + " token " + top.ids()[i]);
                }
            }
            int expected = ref.generatedIds()[step];
            int best = Sampler.argmax(logits, 0, oracle.vocab());
            if (step == NEAR_TIE_STEP) {
                assertTrue(
                        logits[best] - logits[expected] <= NEAR_TIE_MARGIN,
                        "step " + step + ": llama.cpp's token " + expected + " is " + (logits[best] - logits[expected])
                                + " below the top");
            } else {
                assertEquals(expected, best, "greedy token of step " + step);
            }
            logits = oracle.step(expected); // teacher forcing: the reference's own path
        }
    }

    @Test
    void compiledDecoderMatchesTheF32OracleStepForStep() {
        GgufReferences ref = GgufReferences.forModel(FILE).getFirst();
        LlamaOracle oracle = new LlamaOracle(GgufReferences.model(FILE), LlamaOracle.Numerics.F32);
        try (CompiledModel model = ArtifactLoader.open(CompiledDecoders.jar(FILE), 1)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
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
                float[] expected = prefill(oracle, ref.promptIds());
                for (int step = 0; step < ref.generatedIds().length; step++) {
                    for (int t = 0; t < config.vocab(); t++) {
                        assertEquals(expected[t], logits[t], F32_TOLERANCE, "step " + step + " token " + t);
                    }
                    int next = Sampler.argmax(expected, 0, oracle.vocab());
                    assertEquals(next, Sampler.argmax(logits, 0, config.vocab()), "greedy token of step " + step);
                    int pos = cache.append(0, 1);
                    logits = d.step(new int[] {next}, new int[] {pos}, new int[] {0}, new int[] {0});
                    expected = oracle.step(next);
                }
            }
        }
    }

    /**
     * fsc's own jar, compiled with {@code --numerics llama-cpp}, against llama.cpp's reference: the
     * top-8 logits of the four recorded steps within 0.05, and llama.cpp's greedy id at every step
     * but the near tie. Each step is fed llama.cpp's token, so the near tie cannot derail the steps
     * after it.
     */
    @Test
    void compiledDecoderInLlamaCppNumericsMatchesTheReference() {
        GgufReferences ref = GgufReferences.forModel(FILE).getFirst();
        try (CompiledModel model = ArtifactLoader.open(CompiledDecoders.jar(FILE, DecoderNumerics.LLAMA_CPP), 1)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            assertEquals(LlmConfig.NUMERICS_LLAMA_CPP, config.numerics());
            assertEquals(ElemType.F16, config.layout().kvType());
            try (KvCache cache = new KvCache(config.layout(), 16, 1, config.maxContext())) {
                assertEquals(ElemType.F16, cache.cacheTensor().type());
                Decoder d = new Decoder(model, config, cache);
                int n = ref.promptIds().length;
                cache.append(0, n);
                int[] positions = new int[n];
                for (int i = 0; i < n; i++) {
                    positions[i] = i;
                }
                float[] logits = d.step(ref.promptIds(), positions, new int[n], new int[] {n - 1});
                double worst = 0;
                for (int step = 0; step < ref.generatedIds().length; step++) {
                    if (step < ref.top().size()) {
                        GgufReferences.TopLogits top = ref.top().get(step);
                        for (int i = 0; i < top.ids().length; i++) {
                            float actual = logits[top.ids()[i]];
                            worst = Math.max(worst, Math.abs(actual - top.logits()[i]));
                            assertEquals(
                                    top.logits()[i],
                                    actual,
                                    LLAMA_CPP_TOLERANCE,
                                    "step " + step + " token " + top.ids()[i]);
                        }
                    }
                    int expected = ref.generatedIds()[step];
                    int best = Sampler.argmax(logits, 0, config.vocab());
                    if (step == NEAR_TIE_STEP) {
                        assertTrue(
                                logits[best] - logits[expected] <= NEAR_TIE_MARGIN,
                                "step " + step + ": llama.cpp's token " + expected + " is "
                                        + (logits[best] - logits[expected]) + " below the top");
                    } else {
                        assertEquals(expected, best, "greedy token of step " + step);
                    }
                    int pos = cache.append(0, 1);
                    logits = d.step(new int[] {expected}, new int[] {pos}, new int[] {0}, new int[] {0});
                }
                System.err.println("KQuantLogitsTest: llama-cpp numerics, worst top-8 error " + worst);
            }
        }
    }

    private static float[] prefill(LlamaOracle oracle, int[] prompt) {
        float[] logits = null;
        for (int token : prompt) {
            logits = oracle.step(token);
        }
        return logits;
    }
}
