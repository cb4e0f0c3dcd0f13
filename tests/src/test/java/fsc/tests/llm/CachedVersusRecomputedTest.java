package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.cli.ArtifactLoader;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.Generation;
import fsc.runtime.llm.Generator;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.SamplingParams;
import fsc.runtime.llm.TextCodec;
import org.junit.jupiter.api.Test;

/**
 * Decoding with the paged KV cache equals recomputing the whole sequence every step, token for
 * token over 64 steps: a wrong causal mask, position or block mapping makes them diverge. The
 * cache is given more blocks than needed and a block size smaller than the prompt, so prefill
 * and decode both cross block boundaries.
 */
class CachedVersusRecomputedTest {
    @Test
    void sixtyFourStepsAgree() {
        try (CompiledModel model = ArtifactLoader.open(CompiledDecoders.jar("stories260K.gguf"), 2)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            TextCodec codec = new TextCodec(config.tokenizer());
            int[] prompt = codec.encode("The little dog found a shiny stone in the garden");
            // Sampling (seeded) rather than greedy: a different token anywhere changes every later step.
            SamplingParams sampling = new SamplingParams(0.9f, 40, 0.95f, 11);
            int[] cached;
            int[] recomputed;
            try (KvCache cache = new KvCache(config.layout(), 32, 1, config.maxContext())) {
                Generation g = new Generator(new Decoder(model, config, cache), codec)
                        .generate(prompt, 64, sampling, s -> {}, false);
                cached = g.generatedIds();
                assertEquals(0, cache.usedBlocks(), "blocks return to the free list when the sequence ends");
            }
            try (KvCache cache = new KvCache(config.layout(), 32, 1, config.maxContext())) {
                recomputed = new Generator(new Decoder(model, config, cache), codec)
                        .generate(prompt, 64, sampling, s -> {}, true)
                        .generatedIds();
            }
            assertEquals(64, cached.length, "generation stopped early: " + cached.length);
            assertArrayEquals(recomputed, cached);
        }
    }
}
