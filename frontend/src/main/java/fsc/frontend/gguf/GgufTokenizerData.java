package fsc.frontend.gguf;

import fsc.ir.FscException;
import java.util.List;

/**
 * The tokenizer a GGUF file carries ({@code tokenizer.ggml.*}), as the plain arrays the runtime's
 * {@code fsc.runtime.text} tokenizers take: the compiler reads them here and packs them into the
 * artifact, so the runtime never parses GGUF metadata itself.
 *
 * @param model {@code tokenizer.ggml.model}: {@code llama} (SentencePiece) or {@code gpt2} (BPE)
 * @param scores one per token; all zero when the file has none (BPE vocabularies)
 * @param types llama.cpp token types, one per token; all 1 (normal) when the file has none
 * @param merges BPE merges, best first; empty for SentencePiece
 * @param bosId beginning-of-sequence id, or -1 (likewise eos, unk)
 * @param chatTemplate {@code tokenizer.chat_template} (Jinja), or null when the file has none
 */
public record GgufTokenizerData(
        String model,
        List<String> tokens,
        float[] scores,
        int[] types,
        List<String> merges,
        int bosId,
        int eosId,
        int unkId,
        boolean addBos,
        boolean addSpacePrefix,
        String chatTemplate) {

    public GgufTokenizerData {
        tokens = List.copyOf(tokens);
        merges = List.copyOf(merges);
        scores = scores.clone();
        types = types.clone();
    }

    public static GgufTokenizerData of(GgufFile file) {
        GgufMetadata m = file.metadata();
        String model = m.getString("tokenizer.ggml.model");
        List<String> tokens = m.getStrings("tokenizer.ggml.tokens");
        int n = tokens.size();
        float[] scores = m.has("tokenizer.ggml.scores") ? m.getFloats("tokenizer.ggml.scores") : new float[n];
        int[] types = m.has("tokenizer.ggml.token_type") ? m.getInts("tokenizer.ggml.token_type") : ones(n);
        if (scores.length != n || types.length != n) {
            throw new FscException(file.label() + ": tokenizer has " + n + " tokens but " + scores.length
                    + " scores and " + types.length + " token types");
        }
        List<String> merges = m.has("tokenizer.ggml.merges") ? m.getStrings("tokenizer.ggml.merges") : List.of();
        if (!model.equals("llama") && !model.equals("gpt2")) {
            throw new FscException(
                    file.label() + ": tokenizer model '" + model + "' is not supported",
                    "fsc reads 'llama' (SentencePiece) and 'gpt2' (byte-level BPE) vocabularies");
        }
        return new GgufTokenizerData(
                model,
                tokens,
                scores,
                types,
                merges,
                id(file, "tokenizer.ggml.bos_token_id", n),
                id(file, "tokenizer.ggml.eos_token_id", n),
                id(file, "tokenizer.ggml.unknown_token_id", n),
                // llama.cpp's defaults: SentencePiece vocabularies add BOS and a space prefix.
                m.getBool("tokenizer.ggml.add_bos_token", model.equals("llama")),
                m.getBool("tokenizer.ggml.add_space_prefix", model.equals("llama")),
                m.has("tokenizer.chat_template") ? m.getString("tokenizer.chat_template") : null);
    }

    private static int[] ones(int n) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }

    /** A special-token id; absent, or out of range (files write 0xFFFFFFFF for "none"), is -1. */
    private static int id(GgufFile file, String key, int vocabSize) {
        long v = file.metadata().getLong(key, -1);
        return v >= 0 && v < vocabSize ? (int) v : -1;
    }
}
