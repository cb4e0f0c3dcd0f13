package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * TfIdfVectorizer-9 onto IR {@code tfidf_vectorizer}; a pool of strings first maps the string tokens to
 * ids with a {@code label_encoder}, so the n-gram matching is the integer kernel's.
 */
final class TfIdfConverter {
    private TfIdfConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("TfIdfVectorizer", 9, TfIdfConverter::convert));
    }

    private static void convert(NodeContext c) {
        Map<String, Attr> attrs = new TreeMap<>();
        Value tokens = c.input(0);
        if (c.attrs.has("pool_strings")) {
            // Strings become ids: each distinct pool string its first index, any other token -1, which
            // no pool entry has, so it matches no n-gram, as an unknown string would not.
            List<String> pool = c.attrs.strings("pool_strings").orElseThrow();
            if (!tokens.dtype().isString()) {
                throw c.fail("pool_strings needs string tokens, got " + tokens.type());
            }
            Map<String, Long> ids = new LinkedHashMap<>();
            long[] poolIds = new long[pool.size()];
            for (int i = 0; i < pool.size(); i++) {
                poolIds[i] = ids.computeIfAbsent(pool.get(i), k -> (long) ids.size());
            }
            Map<String, Attr> encode = new TreeMap<>();
            encode.put("keys_strings", new Attr.Strs(List.copyOf(ids.keySet())));
            encode.put(
                    "values_ints",
                    Attr.ints(ids.values().stream().mapToLong(Long::longValue).toArray()));
            encode.put("default_int", new Attr.Int(-1));
            encode.put("to", new Attr.Type(DType.I64));
            tokens = c.emit("label_encoder", List.of(tokens), encode, c.temp("token_ids"));
            attrs.put("pool_int64s", Attr.ints(poolIds));
        }
        for (String name : List.of("min_gram_length", "max_gram_length", "max_skip_count")) {
            attrs.put(
                    name,
                    new Attr.Int(c.attrs.intValue(name).orElseThrow(() -> c.fail("needs attribute '" + name + "'"))));
        }
        attrs.put("mode", new Attr.Str(c.attrs.string("mode").orElseThrow(() -> c.fail("needs attribute 'mode'"))));
        for (String name : List.of("ngram_counts", "ngram_indexes", "pool_int64s")) {
            if (attrs.containsKey(name)) {
                continue;
            }
            long[] v = c.attrs.ints(name).orElseThrow(() -> c.fail("needs attribute '" + name + "'"));
            attrs.put(name, Attr.ints(v));
        }
        c.attrs.floats("weights").ifPresent(w -> {
            List<Double> values = new ArrayList<>();
            for (float f : w) {
                values.add((double) f);
            }
            attrs.put("weights", new Attr.Floats(values));
        });
        c.produce("tfidf_vectorizer", List.of(tokens), attrs);
    }
}
