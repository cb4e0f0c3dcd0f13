package fsc.runtime.serve;

import fsc.runtime.llm.TextCodec;

/** Text ↔ token ids for the server, with a streaming decoder per request. Thread-safe. */
public interface TextModel {
    int[] encode(String text);

    /** A new decoder for one generated stream (used by one thread). */
    Detokenizer detokenizer();

    int eosId();

    /**
     * Ids for a prompt rendered from a chat template: special tokens written as text become their
     * ids. By default the same as {@link #encode}.
     */
    default int[] encodeChat(String text) {
        return encode(text);
    }

    /** The bytes one token stands for (logprobs report them), by default its text from a fresh decoder. */
    default byte[] pieceBytes(int id) {
        Detokenizer d = detokenizer();
        return (d.push(id) + d.flush()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Turns generated ids into text as characters complete. */
    interface Detokenizer {
        String push(int id);

        String flush();
    }

    /** A decoder's tokenizer. */
    static TextModel of(TextCodec codec) {
        return new TextModel() {
            @Override
            public int[] encode(String text) {
                return codec.encode(text);
            }

            @Override
            public Detokenizer detokenizer() {
                // A continuation keeps its leading space: it follows the prompt's text.
                TextCodec.Stream s = codec.stream(false);
                return new Detokenizer() {
                    @Override
                    public String push(int id) {
                        return s.push(id);
                    }

                    @Override
                    public String flush() {
                        return s.flush();
                    }
                };
            }

            @Override
            public int eosId() {
                return codec.eosId();
            }

            @Override
            public int[] encodeChat(String text) {
                return codec.encodeChat(text);
            }

            @Override
            public byte[] pieceBytes(int id) {
                return codec.pieceBytes(id);
            }
        };
    }
}
