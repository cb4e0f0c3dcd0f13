package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.runtime.CompiledModel;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.Generation;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.SamplingParams;
import fsc.runtime.llm.Speculation;
import fsc.runtime.llm.SpeculativeGenerator;
import fsc.runtime.llm.SpeculativeGenerator.Mode;
import fsc.runtime.llm.TextCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Speculative decoding on stories260K: with its Q8_0 twin as the draft, greedy output equals
 * llama.cpp's greedy ids for the target alone (the references), whatever the number of draft
 * tokens per round; with the target as its own draft every draft token is accepted; both paged
 * caches give back every block. The sampling rule's distribution is checked in {@code
 * DraftVerifierTest}.
 */
class SpeculativeDecodingTest {
    private static final String TARGET = "stories260K.gguf";
    private static final String DRAFT = "stories260K-Q8_0.gguf";

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 6})
    void greedyOutputIsTheTargetsOwn(int draftTokens) {
        try (Pair p = new Pair(DRAFT)) {
            for (GgufReferences ref : GgufReferences.forModel(TARGET)) {
                Generation g = p.generator(draftTokens, Mode.ALWAYS)
                        .generate(ref.promptIds(), ref.maxTokens(), SamplingParams.greedy(), s -> {});
                assertArrayEquals(ref.generatedIds(), g.generatedIds(), "'" + ref.prompt() + "', k=" + draftTokens);
                Speculation s = g.speculation();
                assertTrue(s.rounds() > 0, "speculation ran");
                assertEquals(s.rounds() + s.plainSteps(), s.targetSteps());
                assertTrue(s.acceptanceRate() > 0.5, "the Q8_0 twin mostly agrees: " + s.acceptanceRate());
                p.assertCachesEmpty();
            }
        }
    }

    @Test
    void theTargetAsItsOwnDraftHasEveryTokenAccepted() {
        try (Pair p = new Pair(TARGET)) {
            GgufReferences ref = GgufReferences.forModel(TARGET).get(0);
            Generation g = p.generator(4, Mode.ALWAYS)
                    .generate(ref.promptIds(), ref.maxTokens(), SamplingParams.greedy(), s -> {});
            assertArrayEquals(ref.generatedIds(), g.generatedIds());
            Speculation s = g.speculation();
            assertEquals(s.drafted(), s.accepted(), "an identical draft is always right");
            // Rounds of 4 draft tokens plus the bonus token: 5 tokens per target step, less at the end.
            assertTrue(s.tokensPerTargetStep(g.generatedIds().length) > 4, s.line(g.generatedIds().length));
        }
    }

    @Test
    void autoModeMeasuresBeforeItDecidesAndKeepsTheTargetsOutput() {
        try (Pair p = new Pair(DRAFT)) {
            GgufReferences ref = GgufReferences.forModel(TARGET).get(0);
            Generation g = p.generator(4, Mode.AUTO)
                    .generate(ref.promptIds(), ref.maxTokens(), SamplingParams.greedy(), s -> {});
            assertArrayEquals(ref.generatedIds(), g.generatedIds());
            Speculation s = g.speculation();
            assertTrue(s.plainSteps() >= 3, "plain steps are measured first: " + s.line(g.generatedIds().length));
            assertTrue(s.rounds() >= 3, "then rounds are: " + s.line(g.generatedIds().length));
            assertTrue(!Double.isNaN(s.predictedSpeedup()), "the cost model made a prediction");
        }
    }

    @Test
    void samplingRunsToTheTokenBudgetAndFreesBothCaches() {
        try (Pair p = new Pair(DRAFT)) {
            SamplingParams sampling = new SamplingParams(0.9f, 40, 0.95f, 3);
            int[] prompt = p.codec.encode("The little dog found a shiny stone");
            Generation a = p.generator(4, Mode.ALWAYS).generate(prompt, 48, sampling, s -> {});
            Generation b = p.generator(4, Mode.ALWAYS).generate(prompt, 48, sampling, s -> {});
            assertArrayEquals(a.generatedIds(), b.generatedIds(), "a seeded run is reproducible");
            assertTrue(a.generatedIds().length > 0);
            p.assertCachesEmpty();
        }
    }

    @Test
    void moreDraftTokensThanOneTargetStepHoldsAreRefused() {
        try (Pair p = new Pair(DRAFT)) {
            // The test jars take 64 tokens a step: k + 1 = 65 does not fit.
            RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> p.generator(64, Mode.ALWAYS));
            assertTrue(e.getMessage().contains("--draft-tokens must be 1..63"), e.getMessage());
        }
    }

    /** The target and a draft, each with a one-sequence cache, loaded once per test. */
    private static final class Pair implements AutoCloseable {
        final CompiledModel target = ArtifactLoader.open(CompiledDecoders.jar(TARGET), 1);
        final CompiledModel draft;
        final LlmConfig targetConfig = LlmConfig.load(target.getClass().getClassLoader());
        final LlmConfig draftConfig;
        final KvCache targetCache;
        final KvCache draftCache;
        final TextCodec codec = new TextCodec(targetConfig.tokenizer());

        Pair(String draftFile) {
            draft = ArtifactLoader.open(CompiledDecoders.jar(draftFile), 1);
            draftConfig = LlmConfig.load(draft.getClass().getClassLoader());
            targetCache = new KvCache(targetConfig.layout(), 16, 1, targetConfig.maxContext());
            draftCache = new KvCache(draftConfig.layout(), 16, 1, draftConfig.maxContext());
        }

        SpeculativeGenerator generator(int draftTokens, Mode mode) {
            return new SpeculativeGenerator(
                    new Decoder(target, targetConfig, targetCache),
                    new Decoder(draft, draftConfig, draftCache),
                    codec,
                    draftTokens,
                    mode);
        }

        void assertCachesEmpty() {
            assertEquals(0, targetCache.usedBlocks(), "target blocks back on the free list");
            assertEquals(0, draftCache.usedBlocks(), "draft blocks back on the free list");
        }

        @Override
        public void close() {
            targetCache.close();
            draftCache.close();
            draft.close();
            target.close();
        }
    }
}
