package fsc.runtime.text;

import fsc.runtime.RuntimeFailure;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A tokenizer vocabulary as GGUF stores it ({@code tokenizer.ggml.tokens}, {@code .scores}, {@code
 * .token_type}, special ids), as plain arrays so the runtime needs nothing from the compiler. Token
 * types are llama.cpp's {@code llama_token_type} numbers.
 */
public final class TokenizerVocab {
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    private final String[] tokens;
    private final float[] scores;
    private final int[] types;
    private final int bosId;
    private final int eosId;
    private final int unkId;
    private final Map<String, Integer> ids;

    /**
     * @param scores merge priorities (SentencePiece), or null for all zero
     * @param types token types, or null for all {@link #NORMAL}
     * @param bosId beginning-of-sequence id, or -1 when there is none (likewise eos, unk)
     */
    public TokenizerVocab(List<String> tokens, float[] scores, int[] types, int bosId, int eosId, int unkId) {
        this.tokens = tokens.toArray(String[]::new);
        int n = this.tokens.length;
        this.scores = scores == null ? new float[n] : scores.clone();
        this.types = types == null ? filled(n, NORMAL) : types.clone();
        if (this.scores.length != n || this.types.length != n) {
            throw new RuntimeFailure("tokenizer: " + n + " tokens but " + this.scores.length + " scores and "
                    + this.types.length + " token types");
        }
        this.bosId = checkId("bos", bosId, n);
        this.eosId = checkId("eos", eosId, n);
        this.unkId = checkId("unk", unkId, n);
        this.ids = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            ids.put(this.tokens[i], i); // a repeated text maps to its last id, as in llama.cpp
        }
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    private static int checkId(String what, int id, int n) {
        if (id < -1 || id >= n) {
            throw new RuntimeFailure("tokenizer: " + what + " id " + id + " is outside the vocabulary of " + n);
        }
        return id;
    }

    public int size() {
        return tokens.length;
    }

    public String token(int id) {
        return tokens[id];
    }

    public float score(int id) {
        return scores[id];
    }

    public int type(int id) {
        return types[id];
    }

    /** The id of a token's exact text, or -1. */
    public int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    public int unkId() {
        return unkId;
    }

    void checkToken(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new RuntimeFailure("token id " + id + " is outside the vocabulary of " + tokens.length);
        }
    }
}
