package fsc.ir.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The attribute schema: every op declares its attributes, and the defaults live there and nowhere else. */
class AttrSchemaTest {

    /**
     * Every registered op's schema, one line each ({@code op: name: kind = default, ...}), against
     * {@code attr-schema.txt}: a changed default, a new attribute or a new op without a reviewed schema
     * fails here. The defaults are the ops' ONNX origins' (Gemm, Softmax, Cast-25, RoiAlign-16, ...).
     */
    @Test
    void everyOpsSchemaIsPinned() throws IOException {
        List<String> actual = new ArrayList<>();
        for (OpDef d : Ops.all()) {
            AttrSchema s = d.attrSchema();
            actual.add(d.name() + ": " + (s.specs().isEmpty() ? "none" : s));
        }
        List<String> expected;
        try (InputStream in = AttrSchemaTest.class.getResourceAsStream("attr-schema.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#"))
                    .toList();
        }
        assertEquals(String.join("\n", expected), String.join("\n", actual));
    }

    private static Node gemm(Map<String, Attr> attrs) {
        Value a = new Value("a", TensorType.of(DType.F32, 2, 3));
        Value b = new Value("b", TensorType.of(DType.F32, 3, 4));
        return new Node("gemm", "g", List.of(a, b), List.of(new Value("y", TensorType.of(DType.F32, 2, 4))), attrs);
    }

    private static Node unary(String op, Map<String, Attr> attrs) {
        Value x = new Value("x", TensorType.of(DType.F32, 2, 3));
        return new Node(op, "n", List.of(x), List.of(new Value("y", TensorType.of(DType.F32, 2, 3))), attrs);
    }

    private static String inferFailure(Node n) {
        return assertThrows(FscException.class, () -> Ops.infer(n, new KnownValues()))
                .getMessage();
    }

    @Test
    void readersGetTheDeclaredDefault() {
        Node plain = gemm(Map.of());
        assertEquals(1.0, plain.floatAttr("alpha"));
        assertEquals(0, plain.intAttr("trans_b"));
        Node set = gemm(Map.of("alpha", new Attr.Int(2), "trans_b", new Attr.Int(1)));
        assertEquals(2.0, set.floatAttr("alpha"));
        assertEquals(1, set.intAttr("trans_b"));
        assertEquals("none", unary("gelu", Map.of()).strAttr("approximate"));
        assertEquals(1, unary("cast", Map.of("to", new Attr.Type(DType.F16))).intAttr("saturate"));
        assertEquals("up", unary("cast", Map.of("to", new Attr.Type(DType.F16))).strAttr("round_mode"));
        assertEquals(
                DType.F16, unary("cast", Map.of("to", new Attr.Type(DType.F16))).typeAttr("to"));
        assertEquals(0, unary("cumsum", Map.of()).intAttr("axis"));
        assertEquals(1.0, unary("roi_align", Map.of()).floatAttr("spatial_scale"));
    }

    @Test
    void readingAnUndeclaredNameOrAnUnsetRequiredAttributeIsABug() {
        assertThrows(IllegalStateException.class, () -> gemm(Map.of()).intAttr("transA"));
        assertThrows(IllegalStateException.class, () -> unary("relu", Map.of()).intAttr("axis"), "relu takes none");
        assertThrows(IllegalStateException.class, () -> unary("relu", Map.of()).has("axis"), "a typo in has()");
        // Declared without a default: the reader must ask has() first.
        assertThrows(
                IllegalStateException.class, () -> unary("concat", Map.of()).intAttr("axis"));
        assertThrows(
                IllegalStateException.class, () -> unary("attention", Map.of()).floatAttr("scale"));
        assertEquals(false, unary("clip", Map.of()).has("min"));
    }

    @Test
    void inferenceRejectsAnUnknownAttributeOrAWrongKind() {
        String e = inferFailure(gemm(Map.of("transA", new Attr.Int(1))));
        assertTrue(e.contains("unknown attribute 'transA'"), e);
        e = inferFailure(gemm(Map.of("alpha", new Attr.Str("one"))));
        assertTrue(e.contains("attribute 'alpha' must be a number"), e);
        assertEquals(
                List.of(TensorType.of(DType.F32, 2, 4)),
                Ops.infer(gemm(Map.of("beta", new Attr.Float(0))), new KnownValues()));
    }

    /** A sample of the ops that joined the schema last: attribute-free ones reject any attribute. */
    @Test
    void newlyDeclaredOpsRejectUndeclaredAttributesAndWrongKinds() {
        String e = inferFailure(unary("relu", Map.of("alpha", new Attr.Float(0.1))));
        assertTrue(e.contains("unknown attribute 'alpha' (takes none)"), e);
        e = inferFailure(unary("sigmoid", Map.of("axis", new Attr.Int(0))));
        assertTrue(e.contains("unknown attribute 'axis'"), e);
        e = inferFailure(unary("transpose", Map.of("perm", new Attr.Str("1,0"))));
        assertTrue(e.contains("attribute 'perm' must be a list of integers"), e);
        e = inferFailure(unary("cast", Map.of("to", new Attr.Int(1))));
        assertTrue(e.contains("attribute 'to' must be an element type"), e);
        e = inferFailure(unary("gelu", Map.of("approximate", new Attr.Int(1))));
        assertTrue(e.contains("attribute 'approximate' must be a string"), e);
        e = inferFailure(unary("softmax", Map.of("axes", new Attr.Ints(List.of(1L)))));
        assertTrue(e.contains("unknown attribute 'axes' (takes axis)"), e);
        e = inferFailure(unary("cumsum", Map.of("axis", new Attr.Float(1))));
        assertTrue(e.contains("attribute 'axis' must be an integer"), e);
        Value i = new Value("i", TensorType.of(DType.I32, 3));
        Node mod = new Node("mod", "m", List.of(i, i), List.of(i), Map.of("fmod", new Attr.Str("yes")));
        e = inferFailure(mod);
        assertTrue(e.contains("attribute 'fmod' must be an integer"), e);
        // Both list kinds a folded shape may take are accepted; a plain number is not.
        Node reshape = unary("reshape", Map.of("shape", new Attr.Dims(List.of(Dim.of(3), Dim.of(2)))));
        assertEquals(List.of(TensorType.of(DType.F32, 3, 2)), Ops.infer(reshape, new KnownValues()));
        reshape = unary("reshape", Map.of("shape", new Attr.Ints(List.of(6L))));
        assertEquals(List.of(TensorType.of(DType.F32, 6)), Ops.infer(reshape, new KnownValues()));
        e = inferFailure(unary("reshape", Map.of("shape", new Attr.Int(6))));
        assertTrue(e.contains("attribute 'shape' must be a list of dimensions"), e);
    }

    private static Node tfidf(Map<String, Attr> attrs) {
        Value x = new Value("x", TensorType.of(DType.I64, 4));
        return new Node(
                "tfidf_vectorizer", "t", List.of(x), List.of(new Value("y", TensorType.of(DType.F32, 2))), attrs);
    }

    /**
     * ONNX TfIdfVectorizer has no defaults for its n-gram bounds, skip count and mode. The shape rule
     * read min/max_gram_length as 0 and mode as "" (so refused them absent) but never looked at
     * max_skip_count, while the interpreter and the Java backend read it as 0 (and the gram lengths as
     * 1, mode as "TF"): a node without max_skip_count passed the verifier and ran as if it were 0. All
     * four are now required, as the importer already made them.
     */
    @Test
    void tfidfRequiresWhatOnnxRequires() {
        Map<String, Attr> full = Map.of(
                "min_gram_length", new Attr.Int(1),
                "max_gram_length", new Attr.Int(1),
                "max_skip_count", new Attr.Int(0),
                "mode", new Attr.Str("TF"),
                "ngram_counts", new Attr.Ints(List.of(0L)),
                "ngram_indexes", new Attr.Ints(List.of(0L, 1L)),
                "pool_int64s", new Attr.Ints(List.of(5L, 7L)));
        assertEquals(List.of(TensorType.of(DType.F32, 2)), Ops.infer(tfidf(full), new KnownValues()));
        for (String required : List.of("min_gram_length", "max_gram_length", "max_skip_count", "mode")) {
            var without = new java.util.TreeMap<>(full);
            without.remove(required);
            String e = inferFailure(tfidf(without));
            assertTrue(e.contains("needs attribute '" + required + "'"), e);
        }
    }
}
