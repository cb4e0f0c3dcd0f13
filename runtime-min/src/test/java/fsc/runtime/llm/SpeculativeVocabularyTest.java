package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.RuntimeFailure;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpeculativeVocabularyTest {
    private static final PagedLayout LAYOUT = new PagedLayout(2, 16, 4, 2, 8, 0.25f);

    @Test
    void aDraftMustShareTheTargetsTokens() {
        LlmConfig target = config("target", List.of("<unk>", "<s>", "</s>", "a", "b"), 2);
        assertDoesNotThrow(() -> SpeculativeGenerator.checkSameVocabulary(
                target, config("draft", List.of("<unk>", "<s>", "</s>", "a", "b"), 2)));
        RuntimeFailure other = assertThrows(
                RuntimeFailure.class,
                () -> SpeculativeGenerator.checkSameVocabulary(
                        target, config("draft", List.of("<unk>", "<s>", "</s>", "a", "c"), 2)));
        assertTrue(
                other.getMessage().contains("does not share the vocabulary of the target 'target'"),
                other.getMessage());
        assertThrows(
                RuntimeFailure.class,
                () -> SpeculativeGenerator.checkSameVocabulary(
                        target, config("draft", List.of("<unk>", "<s>", "</s>", "a"), 2)));
        assertThrows(
                RuntimeFailure.class,
                () -> SpeculativeGenerator.checkSameVocabulary(
                        target, config("draft", List.of("<unk>", "<s>", "</s>", "a", "b"), 1)));
    }

    private static LlmConfig config(String name, List<String> tokens, int eos) {
        TokenizerSpec spec = new TokenizerSpec(
                "llama", tokens, new float[tokens.size()], new int[tokens.size()], List.of(), 1, eos, 0, true, true);
        return new LlmConfig(name, "llama", tokens.size(), LAYOUT, 64, 16, 1, 0, LlmConfig.NUMERICS_F32, spec);
    }
}
