package fsc.ir.ops;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Ops over ONNX STRING tensors. Two of them have a result size that depends on the text
 * (StringNormalizer drops stopwords, StringSplit's last dimension is the most pieces of any element):
 * that dimension is a graph symbol the importer names in the {@code extent} attribute, bounded by
 * what the op can produce; the interpreter and the generated code learn its value when the node runs.
 * <ul>
 *   <li>{@code string_normalizer(x)}: x {@code [C]} or {@code [1, C]}; stopwords removed, case changed
 *       ({@code case_change_action} NONE/LOWER/UPPER), result {@code [extent]} or {@code [1, extent]}.
 *   <li>{@code string_split(x)}: results {@code string[x..., extent]} (padded with "") and the piece
 *       counts {@code i64[x...]}; {@code delimiter} "" splits on runs of whitespace; {@code maxsplit}.
 *   <li>{@code string_concat(a, b)}, {@code string_equal(a, b)}: broadcasting, string or bool result.
 *   <li>{@code regex_full_match(x)}: bool, whether all of each element matches {@code pattern}.
 *   <li>{@code label_encoder(x)}: ai.onnx.ml LabelEncoder; keys and values as lists of one kind each,
 *       the result type {@code to}, unmatched keys map to the {@code default_*} of that kind.
 * </ul>
 */
final class StringOps {
    private StringOps() {}

    static List<OpDef> defs() {
        return List.of(
                OpSpec.fixed("label_encoder", 1, StringOps::labelEncoder)
                        .attrs(
                                AttrSpec.number("default_float", -0.0),
                                AttrSpec.integer("default_int", -1),
                                AttrSpec.string("default_string", "_Unused"),
                                AttrSpec.floats("keys_floats"),
                                AttrSpec.ints("keys_ints"),
                                AttrSpec.strings("keys_strings"),
                                AttrSpec.type("to"),
                                AttrSpec.floats("values_floats"),
                                AttrSpec.ints("values_ints"),
                                AttrSpec.strings("values_strings")),
                OpSpec.fixed("regex_full_match", 1, StringOps::regexFullMatch).attrs(AttrSpec.string("pattern")),
                OpSpec.fixed("string_concat", 2, c -> broadcast(c, DType.STRING)),
                OpSpec.fixed("string_equal", 2, c -> broadcast(c, DType.BOOL)),
                OpSpec.fixed("string_normalizer", 1, StringOps::normalizer)
                        .attrs(
                                AttrSpec.string("case_change_action", "NONE"),
                                AttrSpec.dims("extent"),
                                AttrSpec.integer("is_case_sensitive", 0),
                                AttrSpec.string("locale", ""),
                                AttrSpec.strings("stopwords")),
                new OpSpec("string_split", 1, 1, StringOps::split)
                        .attrs(
                                AttrSpec.string("delimiter", ""),
                                AttrSpec.dims("extent"),
                                AttrSpec.integer("maxsplit")));
    }

    private static TensorType strings(InferContext c, int i) {
        TensorType t = c.input(i);
        if (!t.dtype().isString()) {
            throw c.fail("input " + i + " must be a string tensor, got " + t);
        }
        return t;
    }

    private static List<TensorType> broadcast(InferContext c, DType result) {
        TensorType a = strings(c, 0);
        TensorType b = strings(c, 1);
        List<Dim> dims = Shapes.broadcast(a.dims(), b.dims())
                .orElseThrow(() -> c.fail("shapes " + a + " and " + b + " do not broadcast"));
        return List.of(new TensorType(result, dims));
    }

    private static List<TensorType> regexFullMatch(InferContext c) {
        TensorType x = strings(c, 0);
        if (!c.has("pattern")) {
            throw c.fail("needs attribute 'pattern'");
        }
        String pattern = c.strAttr("pattern");
        try {
            java.util.regex.Pattern.compile(pattern);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw c.fail("pattern \"" + pattern + "\" is not a regular expression: " + e.getDescription());
        }
        return List.of(x.withDType(DType.BOOL));
    }

    /** The {@code extent} symbol: one dimension, a lone symbol or a number. */
    private static Dim extent(InferContext c) {
        List<Dim> e = c.dimsAttr("extent").orElseThrow(() -> c.fail("needs attribute 'extent'"));
        if (e.size() != 1) {
            throw c.fail("attribute 'extent' must name one dimension, got " + e);
        }
        return e.getFirst();
    }

    private static List<TensorType> normalizer(InferContext c) {
        TensorType x = strings(c, 0);
        boolean oneRow = x.rank() == 2 && x.dim(0).isFixed() && x.dim(0).value() == 1;
        if (x.rank() != 1 && !oneRow) {
            throw c.fail("needs strings [C] or [1, C], got " + x);
        }
        String action = c.strAttr("case_change_action");
        if (!List.of("NONE", "LOWER", "UPPER").contains(action)) {
            throw c.fail("case_change_action must be NONE, LOWER or UPPER, got \"" + action + "\"");
        }
        Dim n = extent(c);
        return List.of(new TensorType(DType.STRING, x.rank() == 1 ? List.of(n) : List.of(Dim.of(1), n)));
    }

    private static List<TensorType> split(InferContext c) {
        TensorType x = strings(c, 0);
        if (c.has("maxsplit") && c.intAttr("maxsplit") < 0) {
            throw c.fail("maxsplit must be non-negative, got " + c.intAttr("maxsplit"));
        }
        List<Dim> dims = new ArrayList<>(x.dims());
        dims.add(extent(c));
        return List.of(new TensorType(DType.STRING, dims), x.withDType(DType.I64));
    }

    private static List<TensorType> labelEncoder(InferContext c) {
        TensorType x = c.input(0);
        if (!c.has("to")) {
            throw c.fail("needs attribute 'to' (the result's element type)");
        }
        DType to = c.typeAttr("to");
        int keys = count(c, "keys_strings", "keys_ints", "keys_floats");
        int values = count(c, "values_strings", "values_ints", "values_floats");
        if (keys < 0 || values < 0) {
            throw c.fail("needs exactly one keys_* and one values_* attribute");
        }
        if (keys != values) {
            throw c.fail(keys + " keys but " + values + " values");
        }
        checkKind(c, x.dtype(), c.has("keys_strings"), c.has("keys_ints"), "input");
        checkKind(c, to, c.has("values_strings"), c.has("values_ints"), "to");
        return List.of(x.withDType(to));
    }

    private static void checkKind(InferContext c, DType t, boolean strings, boolean ints, String role) {
        boolean ok = strings ? t.isString() : ints ? t.isInteger() : t.isFloat();
        if (!ok) {
            throw c.fail(role + " type " + t.irName() + " does not match the "
                    + (strings ? "string" : ints ? "integer" : "float") + " "
                    + (role.equals("to") ? "values" : "keys"));
        }
    }

    /** The length of the one list among {@code names} that is set, or -1 when none or several are. */
    private static int count(InferContext c, String strs, String ints, String floats) {
        int set = 0;
        int n = -1;
        for (String name : List.of(strs, ints, floats)) {
            if (c.has(name)) {
                set++;
                n = switch (c.attrs().get(name)) {
                    case Attr.Strs s -> s.values().size();
                    case Attr.Ints i -> i.values().size();
                    case Attr.Floats f -> f.values().size();
                    default -> -1;
                };
            }
        }
        return set == 1 ? n : -1;
    }
}
