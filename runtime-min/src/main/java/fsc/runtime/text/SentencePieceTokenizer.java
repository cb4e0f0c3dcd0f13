package fsc.runtime.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's SentencePiece tokenizer ({@code tokenizer.ggml.model = "llama"}, {@code
 * llm_tokenizer_spm}): spaces become {@code ▁} (U+2581) and one is prepended (SentencePiece's
 * {@code add_dummy_prefix}); the text starts as one symbol per character; the adjacent pair whose
 * concatenation is the vocabulary token with the highest score merges first, until no pair is a
 * token; a final symbol that is not a token is spelled with byte tokens {@code <0xNN>}.
 */
public final class SentencePieceTokenizer {
    private static final char SPACE = '\u2581';

    private final TokenizerVocab vocab;
    private final boolean addSpacePrefix;
    private final int[] byteTokens = new int[256];
    private final byte[][] pieces;

    /** A tokenizer that prepends a space, as llama.cpp does for LLaMA-family vocabularies. */
    public SentencePieceTokenizer(TokenizerVocab vocab) {
        this(vocab, true);
    }

    /** @param addSpacePrefix GGUF {@code tokenizer.ggml.add_space_prefix} (default true) */
    public SentencePieceTokenizer(TokenizerVocab vocab, boolean addSpacePrefix) {
        this.vocab = vocab;
        this.addSpacePrefix = addSpacePrefix;
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = vocab.id(String.format("<0x%02X>", b));
        }
        pieces = new byte[vocab.size()][];
        for (int id = 0; id < vocab.size(); id++) {
            pieces[id] = piece(id);
        }
    }

    public TokenizerVocab vocab() {
        return vocab;
    }

    /** Token ids for {@code text}, with the vocabulary's BOS first when {@code addBos}. */
    public int[] encode(String text, boolean addBos) {
        IntList out = new IntList();
        if (addBos && vocab.bosId() >= 0) {
            out.add(vocab.bosId());
        }
        if (text.isEmpty()) {
            return out.toArray();
        }
        String s = ((addSpacePrefix ? " " : "") + text).replace(' ', SPACE);
        int[] bounds = s.codePoints().map(Character::charCount).toArray();
        int[] cuts = new int[bounds.length + 1];
        for (int i = 0; i < bounds.length; i++) {
            cuts[i + 1] = cuts[i] + bounds[i];
        }
        List<int[]> symbols = SymbolMerger.merge(s, cuts, (t, start, mid, end) -> {
            int id = vocab.id(t.substring(start, end));
            return id < 0 ? Double.NaN : vocab.score(id);
        });
        for (int[] sym : symbols) {
            String piece = s.substring(sym[0], sym[1]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            for (byte b : piece.getBytes(StandardCharsets.UTF_8)) { // byte fallback
                int bt = byteTokens[b & 0xFF];
                out.add(bt >= 0 ? bt : vocab.unkId());
            }
        }
        return out.toArray();
    }

    /**
     * Text for {@code ids}. Control tokens (BOS, EOS) produce nothing, byte tokens their byte, and
     * the space this tokenizer prepends when encoding is removed from the first piece.
     */
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean first = true;
        for (int id : ids) {
            byte[] p = pieceBytes(id);
            int from = 0;
            if (first && p.length > 0) {
                first = false;
                if (addSpacePrefix && p[0] == ' ') {
                    from = 1;
                }
            }
            out.write(p, from, p.length - from);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * The bytes one token stands for. A streaming decoder concatenates these: one character may
     * span several byte tokens, so pieces are bytes, not strings.
     */
    public byte[] pieceBytes(int id) {
        vocab.checkToken(id);
        return pieces[id];
    }

    private byte[] piece(int id) {
        String text = vocab.token(id);
        return switch (vocab.type(id)) {
            case TokenizerVocab.CONTROL, TokenizerVocab.UNUSED -> new byte[0];
            case TokenizerVocab.BYTE ->
                text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")
                        ? new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)}
                        : text.getBytes(StandardCharsets.UTF_8);
            default -> text.replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
        };
    }

    /** A growable int array, so encoding does not box every id. */
    static final class IntList {
        private int[] a = new int[16];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
