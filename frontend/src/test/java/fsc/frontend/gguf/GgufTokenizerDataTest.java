package fsc.frontend.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufTokenizerDataTest {
    @TempDir
    Path dir;

    @Test
    void readsTheSentencePieceVocabulary() {
        try (GgufFile f = GgufFile.open(GgufTestData.gguf("stories260K.gguf"))) {
            GgufTokenizerData t = GgufTokenizerData.of(f);
            assertEquals("llama", t.model());
            assertEquals(512, t.tokens().size());
            assertEquals("▁Once", t.tokens().get(403));
            assertEquals(-144f, t.scores()[403]);
            assertEquals(6, t.types()[3]);
            assertEquals(1, t.bosId());
            assertEquals(2, t.eosId());
            assertEquals(0, t.unkId());
            assertTrue(t.addBos());
            assertTrue(t.addSpacePrefix());
            assertEquals(List.of(), t.merges());
        }
    }

    @Test
    void readsABpeVocabularyWithoutScores() {
        Path p = dir.resolve("bpe.gguf");
        new GgufWriter()
                .putString("tokenizer.ggml.model", "gpt2")
                .put("tokenizer.ggml.tokens", GgufValue.strings(List.of("a", "b", "ab")))
                .put("tokenizer.ggml.merges", GgufValue.strings(List.of("a b")))
                .putU32("tokenizer.ggml.eos_token_id", 4294967295L)
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            GgufTokenizerData t = GgufTokenizerData.of(f);
            assertEquals(List.of("a b"), t.merges());
            assertEquals(0f, t.scores()[2]);
            assertEquals(1, t.types()[2]);
            assertEquals(-1, t.eosId());
            assertEquals(false, t.addBos());
        }
    }

    @Test
    void unknownTokenizerModelsAreNamed() {
        Path p = dir.resolve("t5.gguf");
        new GgufWriter()
                .putString("tokenizer.ggml.model", "t5")
                .put("tokenizer.ggml.tokens", GgufValue.strings(List.of("a")))
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            FscException e = assertThrows(FscException.class, () -> GgufTokenizerData.of(f));
            assertEquals("t5.gguf: tokenizer model 't5' is not supported", e.getMessage());
        }
    }
}
