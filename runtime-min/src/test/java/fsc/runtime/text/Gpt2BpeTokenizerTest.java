package fsc.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.runtime.RuntimeFailure;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A hand-made byte-level BPE vocabulary, small enough to check every id by eye. */
class Gpt2BpeTokenizerTest {
    // GPT-2's byte-to-unicode map sends space (0x20) to U+0120 'Ġ' and newline to U+010A 'Ċ'.
    private static final List<String> MERGES =
            List.of("l l", "h e", "ll o", "he llo", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld", "' s");

    private static Gpt2BpeTokenizer tokenizer() {
        List<String> tokens = new ArrayList<>();
        tokens.add("<|endoftext|>"); // 0, control
        for (int b = 0; b < 256; b++) { // 1..256: every byte, so any text can be spelled
            tokens.add(byteChar(b));
        }
        // merged tokens, 257.. in merge order
        tokens.addAll(List.of("ll", "he", "llo", "hello", "Ġw", "or", "Ġwor", "ld", "Ġworld", "'s"));
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, TokenizerVocab.NORMAL);
        types[0] = TokenizerVocab.CONTROL;
        return new Gpt2BpeTokenizer(new TokenizerVocab(tokens, null, types, 0, 0, -1), MERGES, false);
    }

    /** GPT-2's bytes_to_unicode, written out independently of the tokenizer's table. */
    private static String byteChar(int b) {
        List<Integer> printable = new ArrayList<>();
        for (int c = '!'; c <= '~'; c++) printable.add(c);
        for (int c = 0xA1; c <= 0xAC; c++) printable.add(c);
        for (int c = 0xAE; c <= 0xFF; c++) printable.add(c);
        if (printable.contains(b)) {
            return String.valueOf((char) b);
        }
        int n = 0;
        for (int c = 0; c < b; c++) {
            if (!printable.contains(c)) {
                n++;
            }
        }
        return String.valueOf((char) (256 + n));
    }

    private static int id(String token) {
        return tokenizer().vocab().id(token);
    }

    @Test
    void theByteMapMatchesGpt2() {
        assertEquals("Ġ", byteChar(' '));
        assertEquals("Ċ", byteChar('\n'));
        assertEquals("a", byteChar('a'));
    }

    @Test
    void mergesApplyInRankOrder() {
        Gpt2BpeTokenizer tok = tokenizer();
        // "hello": (l l), (h e), (ll o), (he llo); " world": (Ġ w), (o r), (Ġw or), (l d), (Ġwor ld)
        assertArrayEquals(new int[] {id("hello"), id("Ġworld")}, tok.encode("hello world"));
        // "hellx": ll is made first, then "he", but "ll x" is no merge, so it stays he + ll + x
        assertArrayEquals(new int[] {id("he"), id("ll"), id("x")}, tok.encode("hellx"));
        // The pre-tokenizer splits the contraction off, so "'s" can merge on its own.
        assertArrayEquals(new int[] {id("he"), id("'s")}, tok.encode("he's"));
    }

    @Test
    void whitespaceRunsKeepTheirLastSpaceForTheNextWord() {
        Gpt2BpeTokenizer tok = tokenizer();
        // "\s+(?!\S)" takes the first space of two; the second joins " world".
        assertArrayEquals(new int[] {id("hello"), id("Ġ"), id("Ġworld")}, tok.encode("hello  world"));
    }

    @Test
    void decodeInvertsEncodeForAnyText() {
        Gpt2BpeTokenizer tok = tokenizer();
        for (String s : List.of("hello world", "naïve café", "日本語", "emoji 🙂!", "a\n\n b\t", "  ", "")) {
            assertEquals(s, tok.decode(tok.encode(s)), s);
        }
        assertEquals("hello", tok.decode(new int[] {0, id("hello"), 0})); // control tokens print nothing
    }

    @Test
    void malformedMergesAreRejected() {
        TokenizerVocab v = new TokenizerVocab(List.of("a"), null, null, -1, -1, -1);
        assertThrows(RuntimeFailure.class, () -> new Gpt2BpeTokenizer(v, List.of("ab"), false));
        assertThrows(RuntimeFailure.class, () -> new TokenizerVocab(List.of("a"), null, null, 5, -1, -1));
    }
}
