package fsc.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.quant.TestGguf;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SentencePieceTokenizerTest {
    private static final Pattern MODEL = Pattern.compile("\"model\": \"([^\"]+)\"");
    private static final Pattern PROMPT = Pattern.compile("\"prompt\": \"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern IDS = Pattern.compile("\"prompt_token_ids\": \\[([^\\]]*)\\]");

    static SentencePieceTokenizer load(String model) {
        try (Arena arena = Arena.ofConfined()) {
            TestGguf g = TestGguf.read(TestGguf.shared(model), arena);
            assertEquals("llama", g.get("tokenizer.ggml.model"));
            List<String> tokens = g.get("tokenizer.ggml.tokens");
            List<Float> scores = g.get("tokenizer.ggml.scores");
            List<Integer> types = g.get("tokenizer.ggml.token_type");
            float[] s = new float[scores.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = scores.get(i);
            }
            int[] t = types.stream().mapToInt(Integer::intValue).toArray();
            int bos = (int) (long) g.<Long>get("tokenizer.ggml.bos_token_id");
            int eos = (int) (long) g.<Long>get("tokenizer.ggml.eos_token_id");
            int unk = (int) (long) g.<Long>get("tokenizer.ggml.unknown_token_id");
            return new SentencePieceTokenizer(new TokenizerVocab(tokens, s, t, bos, eos, unk));
        }
    }

    @Test
    void promptsTokenizeExactlyAsLlamaCppDid() throws IOException {
        Path refs = TestGguf.shared("references.jsonl");
        List<String> lines = Files.readAllLines(refs);
        assertEquals(4, lines.size());
        for (String line : lines) {
            String model = group(MODEL, line);
            String prompt = unescape(group(PROMPT, line));
            int[] expected = Arrays.stream(group(IDS, line).split(",\\s*"))
                    .mapToInt(Integer::parseInt)
                    .toArray();
            SentencePieceTokenizer tok = load(model);
            assertArrayEquals(expected, tok.encode(prompt, true), model + ": " + prompt);
            assertEquals(prompt, tok.decode(expected));
        }
    }

    private static String group(Pattern p, String line) {
        Matcher m = p.matcher(line);
        assertTrue(m.find(), p + " in " + line);
        return m.group(1);
    }

    /** The JSON string escapes references.jsonl can contain. */
    private static String unescape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'u' -> {
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(e);
            }
        }
        return out.toString();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Once upon a time",
                "  two leading spaces and two trailing  ",
                "Lily's café, naïve résumé.",
                "日本語のテキスト",
                "emoji 🙂 and 🐈‍⬛ (a joined sequence)",
                "tabs\tand\nnew\r\nlines",
                "x",
                "\u0000 control \u007f bytes"
            })
    void decodeInvertsEncode(String text) {
        SentencePieceTokenizer tok = load("stories260K.gguf");
        int[] ids = tok.encode(text, true);
        assertEquals(1, ids[0]);
        assertEquals(text, tok.decode(ids));
    }

    @Test
    void unknownCharactersFallBackToByteTokens() {
        SentencePieceTokenizer tok = load("stories260K.gguf");
        // "é" is in the vocabulary (485); "日" is not: its three UTF-8 bytes E6 97 A5 become <0xE6>...
        assertArrayEquals(new int[] {410, 485}, tok.encode("é", false));
        assertArrayEquals(new int[] {410, 3 + 0xE6, 3 + 0x97, 3 + 0xA5}, tok.encode("日", false));
        assertEquals("<0xE6>", tok.vocab().token(3 + 0xE6));
        assertArrayEquals(new int[] {}, tok.encode("", false));
        assertArrayEquals(new int[] {1}, tok.encode("", true));
    }

    @Test
    void piecesAreBytesSoStreamingCanSplitCharacters() {
        SentencePieceTokenizer tok = load("stories260K.gguf");
        assertArrayEquals(new byte[] {(byte) 0xE6}, tok.pieceBytes(3 + 0xE6));
        assertArrayEquals(new byte[0], tok.pieceBytes(1)); // BOS
        assertArrayEquals(" Once".getBytes(), tok.pieceBytes(403));
    }
}
