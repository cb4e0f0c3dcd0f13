package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextCodecTest {
    @Test
    void completePrefixHoldsBackUnfinishedUtf8() {
        byte[] euro = "a€".getBytes(StandardCharsets.UTF_8); // 61 E2 82 AC
        assertEquals(4, TextCodec.completePrefix(euro));
        assertEquals(1, TextCodec.completePrefix(java.util.Arrays.copyOf(euro, 3)));
        assertEquals(1, TextCodec.completePrefix(java.util.Arrays.copyOf(euro, 2)));
        byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, TextCodec.completePrefix(java.util.Arrays.copyOf(emoji, 3)));
        assertEquals(4, TextCodec.completePrefix(emoji));
    }

    /** A SentencePiece vocabulary with BOS/EOS (control) and a user-defined chat marker. */
    private static TextCodec chatCodec() {
        java.util.List<String> tokens =
                java.util.List.of("<unk>", "<s>", "</s>", "<|user|>", "\u2581", "\u2581h", "\u2581hi", "h", "i");
        float[] scores = {0, 0, 0, 0, -1, -0.5f, -0.1f, -2, -2};
        int[] types = {2, 3, 3, 4, 1, 1, 1, 1, 1};
        return new TextCodec(
                new TokenizerSpec("llama", tokens, scores, types, java.util.List.of(), 1, 2, 0, true, true, null));
    }

    @Test
    void chatPromptsParseSpecialTokensAndNeverDoubleTheBos() {
        TextCodec c = chatCodec();
        // The template wrote BOS: it is the text's own, not added again; after a special token
        // SentencePiece adds its space prefix again, as llama.cpp does.
        assertEquals(
                java.util.List.of(1, 3, 6),
                java.util.Arrays.stream(c.encodeChat("<s><|user|>hi")).boxed().toList());
        // No BOS in the text: the vocabulary's add_bos puts one first.
        assertEquals(
                java.util.List.of(1, 3, 6, 2),
                java.util.Arrays.stream(c.encodeChat("<|user|>hi</s>")).boxed().toList());
        // Plain encode() does not treat the marker as special.
        assertEquals(false, java.util.Arrays.stream(c.encode("<|user|>hi")).anyMatch(id -> id == 3));
    }
}
