package fsc.runtime.text;

import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import fsc.runtime.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT's WordPiece tokenizer, configured from a HuggingFace {@code tokenizer.json} ({@code model.type
 * = "WordPiece"}): special tokens matched in the raw text, {@link BertNormalizer}, {@link
 * BertPreTokenizer}, greedy longest-match-first WordPiece with the {@code ##} continuation prefix
 * (a word with an unmatchable remainder, or longer than {@code max_input_chars_per_word}, becomes
 * one {@code [UNK]}), then the template {@code [CLS] $A [SEP]} with truncation to a maximum length.
 */
public final class WordPieceTokenizer {
    /** Token ids, mask and token types of a padded batch, each {@code i64[batch, longest]}. */
    public record Encoding(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds) {}

    private record AddedToken(String content, int id) {}

    private final Map<String, Integer> vocab;
    private final String unkToken;
    private final int unkId;
    private final String prefix;
    private final int maxInputCharsPerWord;
    private final BertNormalizer normalizer;
    private final List<AddedToken> added; // longest first, so "[CLS]x" never matches a shorter token
    private final int clsId;
    private final int sepId;
    private final int padId;

    private WordPieceTokenizer(
            Map<String, Integer> vocab,
            String unkToken,
            String prefix,
            int maxInputCharsPerWord,
            BertNormalizer normalizer,
            List<AddedToken> added,
            int clsId,
            int sepId,
            int padId) {
        this.vocab = vocab;
        this.unkToken = unkToken;
        this.unkId = idOf(vocab, unkToken, "unk_token");
        this.prefix = prefix;
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.normalizer = normalizer;
        this.added = added;
        this.clsId = clsId;
        this.sepId = sepId;
        this.padId = padId;
    }

    public static WordPieceTokenizer fromJson(Path tokenizerJson) {
        String text;
        try {
            text = Files.readString(tokenizerJson, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RuntimeFailure("cannot read " + tokenizerJson + ": " + e.getMessage(), e);
        }
        try {
            return fromJsonText(text);
        } catch (RuntimeFailure e) {
            throw new RuntimeFailure(tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /** As {@link #fromJson(Path)}, from the file's text (e.g. a resource inside a jar). */
    public static WordPieceTokenizer fromJsonText(String tokenizerJson) {
        Map<?, ?> root = asMap(Json.parse(tokenizerJson), "tokenizer.json");
        Map<?, ?> model = asMap(root.get("model"), "model");
        if (!"WordPiece".equals(model.get("type"))) {
            throw new RuntimeFailure("model.type is " + model.get("type") + ", expected WordPiece");
        }
        Map<String, Integer> vocab = new HashMap<>();
        for (Map.Entry<?, ?> e : asMap(model.get("vocab"), "model.vocab").entrySet()) {
            vocab.put(String.valueOf(e.getKey()), tokenId(e.getValue(), "model.vocab[\"" + e.getKey() + "\"]"));
        }
        String unk = stringOr(model.get("unk_token"), "[UNK]");
        String prefix = stringOr(model.get("continuing_subword_prefix"), "##");
        int maxChars = model.get("max_input_chars_per_word") instanceof Number n ? n.intValue() : 100;

        BertNormalizer normalizer = normalizer(root.get("normalizer"));
        Object pre = root.get("pre_tokenizer");
        if (pre != null
                && !"BertPreTokenizer".equals(asMap(pre, "pre_tokenizer").get("type"))) {
            throw new RuntimeFailure("pre_tokenizer "
                    + asMap(pre, "pre_tokenizer").get("type") + " is not supported; expected BertPreTokenizer");
        }
        List<AddedToken> added = new ArrayList<>();
        if (root.get("added_tokens") instanceof List<?> list) {
            for (Object o : list) {
                Map<?, ?> t = asMap(o, "added_tokens[]");
                if (!(t.get("content") instanceof String content) || content.isEmpty()) {
                    throw new RuntimeFailure("added_tokens[].content must be a non-empty string");
                }
                added.add(new AddedToken(content, tokenId(t.get("id"), "added_tokens[].id")));
            }
        }
        added.sort(
                Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
        int cls = specialId(root.get("post_processor"), "[CLS]", vocab);
        int sep = specialId(root.get("post_processor"), "[SEP]", vocab);
        int pad = padId(root.get("padding"), vocab);
        return new WordPieceTokenizer(vocab, unk, prefix, maxChars, normalizer, added, cls, sep, pad);
    }

    /** {@code [CLS] tokens [SEP]}, the tokens truncated so that the whole fits {@code maxLength}. */
    public long[] encode(String text, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must leave room for [CLS] and [SEP], got " + maxLength);
        }
        List<Integer> ids = tokenIds(text);
        int n = Math.min(ids.size(), maxLength - 2);
        long[] out = new long[n + 2];
        out[0] = clsId;
        for (int i = 0; i < n; i++) {
            out[i + 1] = ids.get(i);
        }
        out[n + 1] = sepId;
        return out;
    }

    /** Encodes each text and pads to the longest with the {@code [PAD]} id (mask 0). */
    public Encoding encodeBatch(List<String> texts, int maxLength) {
        List<long[]> rows = new ArrayList<>(texts.size());
        int longest = 0;
        for (String t : texts) {
            long[] ids = encode(t, maxLength);
            rows.add(ids);
            longest = Math.max(longest, ids.length);
        }
        int batch = texts.size();
        long[] ids = new long[batch * longest];
        long[] mask = new long[batch * longest];
        for (int b = 0; b < batch; b++) {
            long[] row = rows.get(b);
            for (int i = 0; i < longest; i++) {
                boolean real = i < row.length;
                ids[b * longest + i] = real ? row[i] : padId;
                mask[b * longest + i] = real ? 1 : 0;
            }
        }
        long[] shape = {batch, longest};
        return new Encoding(
                Tensor.ofLongs(shape, ids),
                Tensor.ofLongs(shape, mask),
                Tensor.ofLongs(shape, new long[batch * longest]));
    }

    /** The WordPiece ids of {@code text} without the template's special tokens. */
    public List<Integer> tokenIds(String text) {
        List<Integer> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            AddedToken t = addedAt(text, i);
            if (t == null) {
                i++;
                continue;
            }
            wordPieces(text.substring(start, i), out);
            out.add(t.id());
            i += t.content().length();
            start = i;
        }
        wordPieces(text.substring(start), out);
        return out;
    }

    private AddedToken addedAt(String text, int i) {
        for (AddedToken t : added) {
            if (!t.content().isEmpty() && text.startsWith(t.content(), i)) {
                return t;
            }
        }
        return null;
    }

    private void wordPieces(String segment, List<Integer> out) {
        if (segment.isEmpty()) {
            return;
        }
        for (String word : BertPreTokenizer.split(normalizer.normalize(segment))) {
            wordPiece(word, out);
        }
    }

    /** Greedy longest-match-first, as in BERT's original {@code WordpieceTokenizer}. */
    private void wordPiece(String word, List<Integer> out) {
        int chars = word.codePointCount(0, word.length());
        if (chars > maxInputCharsPerWord) {
            out.add(unkId);
            return;
        }
        int mark = out.size();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer match = null;
            while (end > start) {
                String piece = start > 0 ? prefix + word.substring(start, end) : word.substring(start, end);
                match = vocab.get(piece);
                if (match != null) {
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (match == null) {
                out.subList(mark, out.size()).clear();
                out.add(unkId);
                return;
            }
            out.add(match);
            start = end;
        }
    }

    public int clsId() {
        return clsId;
    }

    public int sepId() {
        return sepId;
    }

    public int padId() {
        return padId;
    }

    public int unkId() {
        return unkId;
    }

    /** The id of a vocabulary token, or -1. */
    public int idOf(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    @Override
    public String toString() {
        return "WordPieceTokenizer[" + vocab.size() + " tokens, unk " + unkToken + "]";
    }

    private static BertNormalizer normalizer(Object spec) {
        if (spec == null) {
            return new BertNormalizer(false, false, false, false);
        }
        Map<?, ?> m = asMap(spec, "normalizer");
        if (!"BertNormalizer".equals(m.get("type"))) {
            throw new RuntimeFailure("normalizer " + m.get("type") + " is not supported; expected BertNormalizer");
        }
        boolean lowercase = flag(m.get("lowercase"), true);
        // tokenizers: strip_accents = null means "follow lowercase".
        boolean strip = flag(m.get("strip_accents"), lowercase);
        return new BertNormalizer(
                flag(m.get("clean_text"), true), flag(m.get("handle_chinese_chars"), true), strip, lowercase);
    }

    private static int specialId(Object postProcessor, String token, Map<String, Integer> vocab) {
        if (postProcessor instanceof Map<?, ?> pp
                && pp.get("special_tokens") instanceof Map<?, ?> specials
                && specials.get(token) instanceof Map<?, ?> entry
                && entry.get("ids") instanceof List<?> ids
                && ids.size() == 1) {
            return tokenId(ids.get(0), "post_processor.special_tokens." + token + ".ids[0]");
        }
        return idOf(vocab, token, "post-processor token");
    }

    private static int padId(Object padding, Map<String, Integer> vocab) {
        if (padding instanceof Map<?, ?> p && p.get("pad_id") != null) {
            return tokenId(p.get("pad_id"), "padding.pad_id");
        }
        Integer id = vocab.get("[PAD]");
        return id == null ? 0 : id;
    }

    private static int idOf(Map<String, Integer> vocab, String token, String what) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new RuntimeFailure(what + " " + token + " is not in the vocabulary");
        }
        return id;
    }

    /** A token id: a whole number in {@code [0, 2^31)}, so it can index the embedding table. */
    private static int tokenId(Object o, String what) {
        if (o instanceof Number n) {
            double d = n.doubleValue();
            if (d >= 0 && d <= Integer.MAX_VALUE && d == Math.rint(d)) {
                return (int) d;
            }
        }
        throw new RuntimeFailure(what + " must be a token id (a whole number >= 0), got " + o);
    }

    private static Map<?, ?> asMap(Object o, String what) {
        if (o instanceof Map<?, ?> m) {
            return m;
        }
        throw new RuntimeFailure(what + " must be a JSON object");
    }

    private static String stringOr(Object o, String fallback) {
        return o instanceof String s ? s : fallback;
    }

    private static boolean flag(Object o, boolean fallback) {
        return o instanceof Boolean b ? b : fallback;
    }
}
