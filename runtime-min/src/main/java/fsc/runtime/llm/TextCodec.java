package fsc.runtime.llm;

import fsc.runtime.text.Gpt2BpeTokenizer;
import fsc.runtime.text.SentencePieceTokenizer;
import fsc.runtime.text.TokenizerVocab;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Text ↔ token ids for a decoder, over the SentencePiece or GPT-2 tokenizer its {@link
 * TokenizerSpec} names, plus a streaming decoder: a character may span several byte tokens, so
 * bytes are held back until they complete a UTF-8 sequence.
 */
public final class TextCodec {
    private final TokenizerSpec spec;
    private final SentencePieceTokenizer spm;
    private final Gpt2BpeTokenizer bpe;

    public TextCodec(TokenizerSpec spec) {
        this.spec = spec;
        if (spec.model().equals(TokenizerSpec.IDS)) {
            this.spm = null;
            this.bpe = null;
            return;
        }
        TokenizerVocab vocab = new TokenizerVocab(
                spec.tokens(), spec.scores(), spec.types(), spec.bosId(), spec.eosId(), spec.unkId());
        if (spec.model().equals("llama")) {
            this.spm = new SentencePieceTokenizer(vocab, spec.addSpacePrefix());
            this.bpe = null;
        } else {
            this.spm = null;
            this.bpe = new Gpt2BpeTokenizer(vocab, spec.merges(), spec.addBos());
        }
        indexSpecials();
    }

    /** Prompt ids, with BOS first when the vocabulary asks for it (as llama.cpp does). */
    public int[] encode(String text) {
        if (spm == null && bpe == null) {
            return ids(text);
        }
        return spm != null ? spm.encode(text, spec.addBos()) : bpe.encode(text);
    }

    /** A model without a tokenizer ({@link TokenizerSpec#ids}) reads its prompt as ids: {@code "1,2,3"} or {@code "1 2 3"}. */
    private int[] ids(String text) {
        String t = text.strip();
        String[] parts = t.isEmpty() ? new String[0] : t.split("[,\\s]+");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                out[i] = -1;
            }
            if (out[i] < 0 || out[i] >= spec.tokens().size()) {
                throw new fsc.runtime.RuntimeFailure("this model has no tokenizer: the prompt is token ids below "
                        + spec.tokens().size() + " (e.g. \"1,2,3\"), got '" + parts[i] + "'");
            }
        }
        return out;
    }

    /**
     * Ids for a rendered chat prompt. Control and user-defined tokens written as text ({@code
     * <|im_start|>}, {@code <s>}) become their own ids, as llama.cpp tokenizes templated prompts
     * ({@code parse_special}); the text between them is encoded as usual (SentencePiece adds its
     * space prefix after each special token, as llama.cpp does). BOS is added when the vocabulary
     * asks for it, unless the template already wrote it: never two.
     */
    public int[] encodeChat(String text) {
        if (spm == null && bpe == null) {
            return ids(text);
        }
        List<Integer> out = new ArrayList<>();
        int from = 0;
        int i = 0;
        while (i < text.length()) {
            String special = specialAt(text, i);
            if (special == null) {
                i++;
                continue;
            }
            encodePlain(text.substring(from, i), out);
            out.add(specials.get(special));
            i += special.length();
            from = i;
        }
        encodePlain(text.substring(from), out);
        boolean bos = spec.addBos() && spec.bosId() >= 0 && (out.isEmpty() || out.getFirst() != spec.bosId());
        int[] ids = new int[out.size() + (bos ? 1 : 0)];
        if (bos) {
            ids[0] = spec.bosId();
        }
        for (int k = 0; k < out.size(); k++) {
            ids[k + (bos ? 1 : 0)] = out.get(k);
        }
        return ids;
    }

    private void encodePlain(String text, List<Integer> out) {
        if (text.isEmpty()) {
            return;
        }
        for (int id : spm != null ? spm.encode(text, false) : bpe.encode(text, false)) {
            out.add(id);
        }
    }

    /** The longest special token starting at {@code i}, or null. */
    private String specialAt(String text, int i) {
        String best = null;
        for (String s : specialsByFirst.getOrDefault(text.charAt(i), List.of())) {
            if (text.startsWith(s, i) && (best == null || s.length() > best.length())) {
                best = s;
            }
        }
        return best;
    }

    private final Map<String, Integer> specials = new HashMap<>();
    private final Map<Character, List<String>> specialsByFirst = new HashMap<>();

    private void indexSpecials() {
        for (int id = 0; id < spec.tokens().size(); id++) {
            int type = spec.types()[id];
            String t = spec.tokens().get(id);
            if ((type == TokenizerVocab.CONTROL || type == TokenizerVocab.USER_DEFINED) && !t.isEmpty()) {
                if (specials.putIfAbsent(t, id) == null) {
                    specialsByFirst
                            .computeIfAbsent(t.charAt(0), c -> new ArrayList<>())
                            .add(t);
                }
            }
        }
    }

    public String decode(int[] ids) {
        if (spm == null && bpe == null) {
            StringBuilder b = new StringBuilder();
            for (int id : ids) {
                b.append(' ').append(id);
            }
            return b.toString();
        }
        return spm != null ? spm.decode(ids) : bpe.decode(ids);
    }

    public int eosId() {
        return spec.eosId();
    }

    /** The bytes token {@code id} stands for (nothing for control tokens). */
    public byte[] pieceBytes(int id) {
        if (spm == null && bpe == null) {
            return (" " + id).getBytes(StandardCharsets.US_ASCII);
        }
        return spm != null ? spm.pieceBytes(id) : bpe.pieceBytes(id);
    }

    /** A decoder for one generated stream: {@link Stream#push} returns the text completed so far. */
    public Stream stream(boolean stripLeadingSpace) {
        return new Stream(stripLeadingSpace);
    }

    /** Incremental UTF-8 decoding of generated tokens. */
    public final class Stream {
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private boolean strip;

        private Stream(boolean stripLeadingSpace) {
            this.strip = stripLeadingSpace;
        }

        /** Adds one token; returns the newly complete text (possibly empty). */
        public String push(int id) {
            byte[] p = pieceBytes(id);
            int from = 0;
            if (strip && p.length > 0) {
                strip = false;
                from = p[0] == ' ' ? 1 : 0;
            }
            pending.write(p, from, p.length - from);
            byte[] all = pending.toByteArray();
            int complete = completePrefix(all);
            pending.reset();
            pending.write(all, complete, all.length - complete);
            return decode(all, complete);
        }

        /** Whatever is still held back, decoded with replacement characters. */
        public String flush() {
            byte[] all = pending.toByteArray();
            pending.reset();
            return decode(all, all.length);
        }

        private String decode(byte[] bytes, int n) {
            try {
                CharBuffer c = utf8.reset().decode(ByteBuffer.wrap(bytes, 0, n));
                return c.toString();
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new IllegalStateException("REPLACE decoder threw", e);
            }
        }
    }

    /** Length of the longest prefix of {@code b} that does not end inside a UTF-8 sequence. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // Look back at most 3 bytes for the lead byte of an unfinished sequence.
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) {
                continue; // continuation byte
            }
            int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return len > back ? n - back : n;
        }
        return n;
    }
}
