package fsc.ir.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The attribute schema: defaults in one place, equal to what the readers assumed before it. */
class AttrSchemaTest {

    /**
     * Every op on the schema with the defaults its readers (shape rules, interpreter, backends) wrote
     * before the schema held them; {@code null}: no default (absent means "not given").
     */
    private static final Map<String, Attr> NORM = Map.of("axis", new Attr.Int(-1), "epsilon", new Attr.Float(1e-5));

    /** Windows' auto_pad and ceil_mode, the conv/pool readers' group and count_include_pad. */
    private static final Map<String, Attr> WINDOW = Map.of(
            "auto_pad", new Attr.Str("NOTSET"),
            "group", new Attr.Int(1),
            "ceil_mode", new Attr.Int(0),
            "count_include_pad", new Attr.Int(0));

    private static final Map<String, Map<String, Attr>> FORMER_DEFAULTS = Map.of(
            "gemm",
                    Map.of(
                            "alpha", new Attr.Float(1.0),
                            "beta", new Attr.Float(1.0),
                            "trans_a", new Attr.Int(0),
                            "trans_b", new Attr.Int(0)),
            "softmax", Map.of("axis", new Attr.Int(-1)),
            "log_softmax", Map.of("axis", new Attr.Int(-1)),
            "conv", WINDOW,
            "max_pool", WINDOW,
            "average_pool", WINDOW,
            "global_average_pool", Map.of(),
            "global_max_pool", Map.of(),
            "batch_norm", Map.of("epsilon", new Attr.Float(1e-5)),
            "layer_norm", NORM);

    private static final Map<String, Attr> REDUCE =
            Map.of("keepdims", new Attr.Int(1), "noop_with_empty_axes", new Attr.Int(0));

    private static Map<String, Attr> former(String op) {
        if (op.equals("rms_norm")) {
            return NORM;
        }
        if (op.equals("gather")) {
            return Map.of("axis", new Attr.Int(0));
        }
        if (op.equals("argmax")) {
            return Map.of("axis", new Attr.Int(0), "keepdims", new Attr.Int(1), "select_last_index", new Attr.Int(0));
        }
        return op.startsWith("reduce_") ? REDUCE : FORMER_DEFAULTS.getOrDefault(op, Map.of());
    }

    @Test
    void schemaDefaultsEqualTheReadersFormerDefaults() {
        Set<String> onSchema = new TreeSet<>();
        for (OpDef d : Ops.all()) {
            d.attrSchema().ifPresent(s -> onSchema.add(d.name()));
        }
        Set<String> expected = new TreeSet<>(FORMER_DEFAULTS.keySet());
        expected.addAll(ReduceOps.REDUCTIONS);
        expected.add("rms_norm");
        expected.add("gather");
        expected.add("argmax");
        // Control flow declares its attributes with no defaults (fsc.ir.ControlFlow).
        expected.addAll(List.of("if", "loop", "scan"));
        assertEquals(expected, onSchema, "the ops on the attribute schema");
        for (String op : onSchema) {
            AttrSchema s = Ops.get(op).attrSchema().orElseThrow();
            for (var e : former(op).entrySet()) {
                assertEquals(e.getValue(), Ops.defaultAttr(op, e.getKey()), op + "." + e.getKey());
            }
            for (AttrSpec spec : s.specs().values()) {
                if (spec.dflt() != null) {
                    assertTrue(
                            former(op).containsKey(spec.name()), op + "." + spec.name() + " has a default nobody had");
                }
            }
        }
        assertEquals(
                null,
                Ops.get("reduce_sum")
                        .attrSchema()
                        .orElseThrow()
                        .specs()
                        .get("axes")
                        .dflt());
    }

    private static Node gemm(Map<String, Attr> attrs) {
        Value a = new Value("a", TensorType.of(DType.F32, 2, 3));
        Value b = new Value("b", TensorType.of(DType.F32, 3, 4));
        return new Node("gemm", "g", List.of(a, b), List.of(new Value("y", TensorType.of(DType.F32, 2, 4))), attrs);
    }

    @Test
    void readersGetTheDeclaredDefault() {
        Node plain = gemm(Map.of());
        assertEquals(1.0, plain.floatAttr("alpha"));
        assertEquals(0, plain.intAttr("trans_b"));
        Node set = gemm(Map.of("alpha", new Attr.Int(2), "trans_b", new Attr.Int(1)));
        assertEquals(2.0, set.floatAttr("alpha"));
        assertEquals(1, set.intAttr("trans_b"));
    }

    @Test
    void aReaderWithAnotherDefaultOrAnUndeclaredNameIsABug() {
        Node plain = gemm(Map.of());
        assertEquals(1.0, plain.floatAttr("alpha", 1.0));
        assertThrows(IllegalStateException.class, () -> plain.floatAttr("alpha", 0.5));
        assertThrows(IllegalStateException.class, () -> plain.intAttr("transA"));
        Value x = new Value("x", TensorType.of(DType.F32, 2));
        Node relu = new Node("relu", "r", List.of(x), List.of(x), Map.of());
        assertThrows(IllegalStateException.class, () -> relu.intAttr("axis"), "relu has no schema");
    }

    @Test
    void inferenceRejectsAnUnknownAttributeOrAWrongKind() {
        Node unknown = gemm(Map.of("transA", new Attr.Int(1)));
        FscException e = assertThrows(FscException.class, () -> Ops.infer(unknown, new KnownValues()));
        assertTrue(e.getMessage().contains("unknown attribute 'transA'"), e.getMessage());
        Node wrong = gemm(Map.of("alpha", new Attr.Str("one")));
        e = assertThrows(FscException.class, () -> Ops.infer(wrong, new KnownValues()));
        assertTrue(e.getMessage().contains("attribute 'alpha' must be a number"), e.getMessage());
        assertEquals(
                List.of(TensorType.of(DType.F32, 2, 4)),
                Ops.infer(gemm(Map.of("beta", new Attr.Float(0))), new KnownValues()));
    }
}
