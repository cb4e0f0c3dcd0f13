package fsc.runtime.text;

import fsc.runtime.RuntimeFailure;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 byte-level BPE ({@code tokenizer.ggml.model = "gpt2"}): the text is split into words by
 * GPT-2's pre-tokenizer pattern; each word's UTF-8 bytes are mapped to printable characters with
 * GPT-2's {@code bytes_to_unicode} table (space becomes {@code Ġ}); then the adjacent pair with the
 * lowest merge rank ({@code tokenizer.ggml.merges} order) merges first, until none is ranked.
 */
public final class Gpt2BpeTokenizer {
    /** GPT-2's pre-tokenizer: contractions, letters, digits, other symbols, whitespace runs. */
    private static final Pattern WORDS = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final Map<Character, Integer> CHAR_TO_BYTE = new HashMap<>();

    static {
        // bytes_to_unicode(): printable Latin-1 bytes map to themselves, the rest to 256, 257, ...
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : next++);
            CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], b);
        }
    }

    private final TokenizerVocab vocab;
    private final Map<String, Integer> ranks;
    private final boolean addBos;

    /**
     * @param merges {@code tokenizer.ggml.merges}: "left right" pairs, best first
     * @param addBos GGUF {@code tokenizer.ggml.add_bos_token} (GPT-2 vocabularies usually say false)
     */
    public Gpt2BpeTokenizer(TokenizerVocab vocab, List<String> merges, boolean addBos) {
        this.vocab = vocab;
        this.addBos = addBos;
        this.ranks = new HashMap<>(merges.size() * 2);
        for (int i = 0; i < merges.size(); i++) {
            String m = merges.get(i);
            int space = m.indexOf(' ', 1); // a merge's left side may itself start with a space char
            if (space < 0) {
                throw new RuntimeFailure("tokenizer: merge " + i + " '" + m + "' is not 'left right'");
            }
            ranks.putIfAbsent(m, i);
        }
    }

    public TokenizerVocab vocab() {
        return vocab;
    }

    /** Token ids for {@code text}, with BOS first when the vocabulary asks for it. */
    public int[] encode(String text) {
        return encode(text, addBos);
    }

    /** Token ids for {@code text}, with BOS first when {@code withBos}. */
    public int[] encode(String text, boolean withBos) {
        SentencePieceTokenizer.IntList out = new SentencePieceTokenizer.IntList();
        if (withBos && vocab.bosId() >= 0) {
            out.add(vocab.bosId());
        }
        Matcher m = WORDS.matcher(text);
        while (m.find()) {
            encodeWord(m.group(), out);
        }
        return out.toArray();
    }

    private void encodeWord(String word, SentencePieceTokenizer.IntList out) {
        byte[] utf8 = word.getBytes(StandardCharsets.UTF_8);
        char[] mapped = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            mapped[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        }
        String s = new String(mapped);
        int[] cuts = new int[s.length() + 1];
        for (int i = 0; i <= s.length(); i++) {
            cuts[i] = i;
        }
        for (int[] sym : SymbolMerger.merge(s, cuts, (t, start, mid, end) -> {
            Integer rank = ranks.get(t.substring(start, mid) + " " + t.substring(mid, end));
            return rank == null ? Double.NaN : -rank;
        })) {
            String piece = s.substring(sym[0], sym[1]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            for (int i = 0; i < piece.length(); i++) { // no token for the merged symbol: spell it
                int c = vocab.id(piece.substring(i, i + 1));
                if (c < 0 && vocab.unkId() < 0) {
                    throw new RuntimeFailure(
                            "tokenizer: no token for byte '" + piece.charAt(i) + "' and no unknown token");
                }
                out.add(c >= 0 ? c : vocab.unkId());
            }
        }
    }

    /** Text for {@code ids}; control tokens produce nothing. */
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            byte[] p = pieceBytes(id);
            out.write(p, 0, p.length);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The bytes one token stands for (a character may span several tokens). */
    public byte[] pieceBytes(int id) {
        vocab.checkToken(id);
        if (vocab.type(id) == TokenizerVocab.CONTROL) {
            return new byte[0];
        }
        String t = vocab.token(id);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < t.length(); i++) {
            Integer b = CHAR_TO_BYTE.get(t.charAt(i));
            if (b != null) {
                out.write(b);
            } else { // user-defined tokens are stored as plain text
                byte[] raw = t.substring(i, i + 1).getBytes(StandardCharsets.UTF_8);
                out.write(raw, 0, raw.length);
            }
        }
        return out.toByteArray();
    }
}
