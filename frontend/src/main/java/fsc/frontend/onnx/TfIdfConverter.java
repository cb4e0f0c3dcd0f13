package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** TfIdfVectorizer-9 onto IR {@code tfidf_vectorizer}; pools of strings are refused (fsc has no string tensors). */
final class TfIdfConverter {
    private TfIdfConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("TfIdfVectorizer", 9, TfIdfConverter::convert));
    }

    private static void convert(NodeContext c) {
        if (c.attrs.has("pool_strings")) {
            throw c.fail("pool_strings is not supported: fsc has no string tensors (pool_int64s is)");
        }
        Map<String, Attr> attrs = new TreeMap<>();
        for (String name : List.of("min_gram_length", "max_gram_length", "max_skip_count")) {
            attrs.put(
                    name,
                    new Attr.Int(c.attrs.intValue(name).orElseThrow(() -> c.fail("needs attribute '" + name + "'"))));
        }
        attrs.put("mode", new Attr.Str(c.attrs.string("mode").orElseThrow(() -> c.fail("needs attribute 'mode'"))));
        for (String name : List.of("ngram_counts", "ngram_indexes", "pool_int64s")) {
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
        c.produce("tfidf_vectorizer", List.of(c.input(0)), attrs);
    }
}
