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
        TokenizerVocab vocab = new TokenizerVocab(
                spec.tokens(), spec.scores(), spec.types(), spec.bosId(), spec.eosId(), spec.unkId());
        if (spec.model().equals("llama")) {
            this.spm = new SentencePieceTokenizer(vocab, spec.addSpacePrefix());
            this.bpe = null;
        } else {
            this.spm = null;
            this.bpe = new Gpt2BpeTokenizer(vocab, spec.merges(), spec.addBos());
        }
    }

    /** Prompt ids, with BOS first when the vocabulary asks for it (as llama.cpp does). */
    public int[] encode(String text) {
        return spm != null ? spm.encode(text, spec.addBos()) : bpe.encode(text);
    }

    public String decode(int[] ids) {
        return spm != null ? spm.decode(ids) : bpe.decode(ids);
    }

    public int eosId() {
        return spec.eosId();
    }

    byte[] pieceBytes(int id) {
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
