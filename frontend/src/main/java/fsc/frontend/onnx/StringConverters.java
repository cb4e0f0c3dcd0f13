package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.StringData;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The string ops onto IR {@code string_*}, {@code regex_full_match} and {@code label_encoder}.
 * StringNormalizer's and StringSplit's result sizes depend on the text: each gets a fresh graph symbol
 * ({@code <output>_extent}) named in its {@code extent} attribute, bounded by the most the op can give.
 */
final class StringConverters {
    private StringConverters() {}

    /** The bound of an extent nothing smaller bounds: the longest Java array (the strings live on the heap). */
    static final long HEAP_BOUND = Integer.MAX_VALUE - 8;

    static void register(List<Rule> rules) {
        rules.add(new Rule("StringNormalizer", 10, StringConverters::normalizer));
        rules.add(new Rule(
                "StringConcat", 20, c -> c.produce("string_concat", List.of(c.input(0), c.input(1)), Map.of())));
        rules.add(new Rule("StringSplit", 20, StringConverters::split));
        rules.add(new Rule("RegexFullMatch", 20, StringConverters::regex));
        rules.add(new Rule(MlConverters.ML_DOMAIN, "LabelEncoder", 2, StringConverters::labelEncoder));
    }

    private static Value strings(NodeContext c, int i) {
        Value v = c.input(i);
        if (!v.dtype().isString()) {
            throw c.fail("input " + i + " must be a string tensor, got " + v.type());
        }
        return v;
    }

    /** Declares the extent symbol of output 0 with {@code bound} and returns its attribute. */
    private static Attr extent(NodeContext c, long bound) {
        String sym = c.outputName(0).replaceAll("[^A-Za-z0-9_]", "_") + "_extent";
        if (!Character.isLetter(sym.charAt(0)) && sym.charAt(0) != '_') {
            sym = "s_" + sym;
        }
        c.scope().builder.symbol(sym, Math.max(1, bound));
        return new Attr.Dims(List.of(Dim.sym(sym)));
    }

    private static void normalizer(NodeContext c) {
        Value x = strings(c, 0);
        Map<String, Attr> a = new TreeMap<>();
        c.attrs.string("case_change_action").ifPresent(v -> a.put("case_change_action", new Attr.Str(v)));
        c.attrs.intValue("is_case_sensitive").ifPresent(v -> a.put("is_case_sensitive", new Attr.Int(v)));
        c.attrs.string("locale").ifPresent(v -> a.put("locale", new Attr.Str(v)));
        c.attrs.strings("stopwords").ifPresent(v -> a.put("stopwords", new Attr.Strs(v)));
        // At most every element is kept; none kept still gives one empty string.
        Dim last = x.type().rank() == 0 ? Dim.of(1) : x.type().dims().getLast();
        a.put("extent", extent(c, last.isFixed() ? last.value() : HEAP_BOUND));
        c.produce("string_normalizer", List.of(x), a);
    }

    private static void split(NodeContext c) {
        Value x = strings(c, 0);
        Map<String, Attr> a = new TreeMap<>();
        c.attrs.string("delimiter").ifPresent(v -> a.put("delimiter", new Attr.Str(v)));
        c.attrs.intValue("maxsplit").ifPresent(v -> a.put("maxsplit", new Attr.Int(v)));
        long bound = c.attrs.intValue("maxsplit").map(m -> m + 1).orElse(HEAP_BOUND);
        a.put("extent", extent(c, bound));
        c.produceAll("string_split", List.of(x), a);
    }

    private static void regex(NodeContext c) {
        String pattern = c.attrs.string("pattern").orElseThrow(() -> c.fail("needs attribute 'pattern'"));
        c.produce("regex_full_match", List.of(strings(c, 0)), Map.of("pattern", new Attr.Str(pattern)));
    }

    /**
     * LabelEncoder-2..4: keys and values from {@code keys_*}/{@code values_*} lists or (opset 4)
     * {@code keys_tensor}/{@code values_tensor}; the default from {@code default_*} or {@code default_tensor}.
     */
    private static void labelEncoder(NodeContext c) {
        Map<String, Attr> a = new TreeMap<>();
        Kind keys = list(c, "keys", a);
        Kind values = list(c, "values", a);
        DType to = values.type;
        a.put("to", new Attr.Type(to));
        if (c.attrs.has("default_tensor")) {
            HostTensor d = HostTensor.fromWeight(
                    TensorData.toWeight(c.attrs.tensor("default_tensor").orElseThrow(), c.baseDir(), c.where));
            if (d.size() != 1 || d.dtype() != to) {
                throw c.fail("default_tensor must be one " + to.irName() + " value, got " + d);
            }
            a.put(
                    "default_" + values.kind,
                    switch (values.kind) {
                        case "string" -> new Attr.Str(d.getString(0));
                        case "int" -> new Attr.Int(d.getLong(0));
                        default -> new Attr.Float(d.getDouble(0));
                    });
        } else {
            c.attrs
                    .string("default_string")
                    .filter(v -> values.kind.equals("string"))
                    .ifPresent(v -> a.put("default_string", new Attr.Str(v)));
            c.attrs
                    .intValue("default_int64")
                    .filter(v -> values.kind.equals("int"))
                    .ifPresent(v -> a.put("default_int", new Attr.Int(v)));
            c.attrs
                    .floatValue("default_float")
                    .filter(v -> values.kind.equals("float"))
                    .ifPresent(v -> a.put("default_float", new Attr.Float(v)));
        }
        Value x = c.input(0);
        if (!keys.accepts(x.dtype())) {
            throw c.fail("input is " + x.type() + " but the keys are " + keys.kind + "s");
        }
        c.produce("label_encoder", List.of(x), a);
    }

    /** The kind of a key or value list ({@code string}, {@code int}, {@code float}) and its element type. */
    private record Kind(String kind, DType type) {
        boolean accepts(DType t) {
            return switch (kind) {
                case "string" -> t.isString();
                case "int" -> t.isInteger();
                default -> t.isFloat();
            };
        }
    }

    /** Reads {@code <role>_strings/_int64s/_floats} or {@code <role>_tensor} into the IR attribute. */
    private static Kind list(NodeContext c, String role, Map<String, Attr> a) {
        List<Kind> found = new ArrayList<>();
        c.attrs.strings(role + "_strings").ifPresent(v -> {
            a.put(role + "_strings", new Attr.Strs(v));
            found.add(new Kind("string", DType.STRING));
        });
        c.attrs.ints(role + "_int64s").ifPresent(v -> {
            a.put(role + "_ints", Attr.ints(v));
            found.add(new Kind("int", DType.I64));
        });
        c.attrs.floats(role + "_floats").ifPresent(v -> {
            List<Double> d = new ArrayList<>();
            for (float f : v) {
                d.add((double) f);
            }
            a.put(role + "_floats", new Attr.Floats(d));
            found.add(new Kind("float", DType.F32));
        });
        if (c.attrs.has(role + "_tensor")) {
            TensorProto t = c.attrs.tensor(role + "_tensor").orElseThrow();
            WeightData w = TensorData.toWeight(t, c.baseDir(), c.where + " " + role + "_tensor");
            HostTensor h = HostTensor.fromWeight(w);
            DType dt = w.dtype();
            if (dt.isString()) {
                a.put(role + "_strings", new Attr.Strs(StringData.decode(w.view())));
                found.add(new Kind("string", dt));
            } else if (dt.isFloat()) {
                List<Double> d = new ArrayList<>();
                for (int i = 0; i < h.size(); i++) {
                    d.add(h.getDouble(i));
                }
                a.put(role + "_floats", new Attr.Floats(d));
                found.add(new Kind("float", dt));
            } else {
                a.put(role + "_ints", Attr.ints(h.toLongArray()));
                found.add(new Kind("int", dt));
            }
        }
        if (found.size() != 1) {
            throw c.fail("needs exactly one of " + role + "_strings, " + role + "_int64s, " + role + "_floats, " + role
                    + "_tensor; found " + found.size());
        }
        return found.getFirst();
    }
}
