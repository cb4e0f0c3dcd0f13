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

    /** A model without a tokenizer: the prompt is ids, every token prints as its id, the JSON round-trips. */
    @Test
    void idsVocabularyReadsAndWritesTokenIds() {
        TokenizerSpec spec = TokenizerSpec.ids(20);
        TextCodec c = new TextCodec(spec);
        assertEquals(
                java.util.List.of(3, 7, 11),
                java.util.Arrays.stream(c.encode(" 3,7 11 ")).boxed().toList());
        assertEquals(
                java.util.List.of(19),
                java.util.Arrays.stream(c.encodeChat("19")).boxed().toList());
        assertEquals(" 3 7", c.decode(new int[] {3, 7}));
        TextCodec.Stream st = c.stream(false);
        assertEquals(" 14", st.push(14));
        assertEquals(-1, c.eosId());
        for (String bad : new String[] {"20", "-1", "hello"}) {
            fsc.runtime.RuntimeFailure e = org.junit.jupiter.api.Assertions.assertThrows(
                    fsc.runtime.RuntimeFailure.class, () -> c.encode(bad));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("token ids below 20"), e.getMessage());
        }
        LlmConfig config =
                new LlmConfig("m", "onnx", 20, new PagedLayout(1, 16, 2, 2, 2, 0.7f), 8, 4, 2, 0, "f32", spec);
        assertEquals(
                spec.tokens(), LlmConfig.fromJson(config.toJson()).tokenizer().tokens());
        assertEquals("ids", LlmConfig.fromJson(config.toJson()).tokenizer().model());
    }
}
