package fsc.runtime.llm;

import fsc.runtime.RuntimeFailure;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The vocabulary a model jar carries (from GGUF {@code tokenizer.ggml.*}), as plain data: the
 * compiler writes it, {@link TextCodec} builds the tokenizer from it at run time.
 *
 * @param model {@code llama} (SentencePiece), {@code gpt2} (byte-level BPE) or {@value #IDS} (no
 *     tokenizer: text is token ids)
 * @param chatTemplate GGUF {@code tokenizer.chat_template} (Jinja), or null when the model has none
 */
public record TokenizerSpec(
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

    /** A vocabulary without a chat template. */
    public TokenizerSpec(
            String model,
            List<String> tokens,
            float[] scores,
            int[] types,
            List<String> merges,
            int bosId,
            int eosId,
            int unkId,
            boolean addBos,
            boolean addSpacePrefix) {
        this(model, tokens, scores, types, merges, bosId, eosId, unkId, addBos, addSpacePrefix, null);
    }

    /** The model of {@link #ids}: no tokenizer, the text is token ids. */
    public static final String IDS = "ids";

    /**
     * The vocabulary of a decoder that comes without a tokenizer (an ONNX export): token {@code i} is
     * written {@code " i"}, and a prompt is its ids ({@link TextCodec}). No BOS, no EOS.
     */
    public static TokenizerSpec ids(int vocab) {
        List<String> tokens = new ArrayList<>(vocab);
        for (int i = 0; i < vocab; i++) {
            tokens.add(Integer.toString(i));
        }
        return new TokenizerSpec(IDS, tokens, new float[vocab], new int[vocab], List.of(), -1, -1, -1, false, false);
    }

    public TokenizerSpec {
        tokens = List.copyOf(tokens);
        merges = List.copyOf(merges);
        scores = scores.clone();
        types = types.clone();
        if (!model.equals("llama") && !model.equals("gpt2") && !model.equals(IDS)) {
            throw new RuntimeFailure("tokenizer model '" + model + "' is not supported (llama, gpt2, ids)");
        }
        if (scores.length != tokens.size() || types.length != tokens.size()) {
            throw new RuntimeFailure("tokenizer: " + tokens.size() + " tokens but " + scores.length + " scores and "
                    + types.length + " types");
        }
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("bos", bosId);
        m.put("eos", eosId);
        m.put("unk", unkId);
        m.put("add_bos", addBos);
        m.put("add_space_prefix", addSpacePrefix);
        m.put("tokens", tokens);
        List<Object> s = new ArrayList<>(scores.length);
        for (float f : scores) {
            s.add(f);
        }
        m.put("scores", s);
        List<Object> t = new ArrayList<>(types.length);
        for (int i : types) {
            t.add(i);
        }
        m.put("types", t);
        m.put("merges", merges);
        if (chatTemplate != null) {
            m.put("chat_template", chatTemplate);
        }
        return m;
    }

    static TokenizerSpec fromJson(Map<String, Object> m) {
        List<?> s = JsonFields.list(m, "scores");
        float[] scores = new float[s.size()];
        for (int i = 0; i < scores.length; i++) {
            Object v = s.get(i);
            if (v != null && !(v instanceof Number)) {
                throw new RuntimeFailure("'scores' entry " + i + " must be a number or null, got " + v);
            }
            scores[i] = v == null ? 0f : ((Number) v).floatValue();
        }
        List<?> t = JsonFields.list(m, "types");
        int[] types = new int[t.size()];
        for (int i = 0; i < types.length; i++) {
            if (!(t.get(i) instanceof Long type) || type != type.intValue()) {
                throw new RuntimeFailure("'types' entry " + i + " must be an integer, got " + t.get(i));
            }
            types[i] = (int) (long) type;
        }
        return new TokenizerSpec(
                JsonFields.string(m, "model"),
                JsonFields.strings(m, "tokens"),
                scores,
                types,
                JsonFields.strings(m, "merges"),
                JsonFields.integer(m, "bos"),
                JsonFields.integer(m, "eos"),
                JsonFields.integer(m, "unk"),
                JsonFields.bool(m, "add_bos"),
                JsonFields.bool(m, "add_space_prefix"),
                m.get("chat_template") instanceof String tpl ? tpl : null);
    }
}
