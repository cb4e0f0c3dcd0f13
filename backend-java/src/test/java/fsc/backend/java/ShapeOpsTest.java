package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static fsc.backend.java.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** transpose, views, slice, concat, expand and constant_of_shape against the interpreter. */
class ShapeOpsTest {
    @TempDir
    Path dir;

    private static Attr dims(long... d) {
        return new Attr.Dims(java.util.Arrays.stream(d).mapToObj(Dim::of).toList());
    }

    @Test
    void dataMovementOps() throws Exception {
        GraphBuilder b = new GraphBuilder("moves");
        Value x = b.input("x", f32(2, 3, 5, 4));
        Value y = b.input("y", f32(2, 3, 2, 4));
        Value ix = b.input("ix", type(DType.I64, 2, 3));
        b.output(b.node("transpose", "heads", List.of(x), attrs("perm", Attr.ints(0, 2, 1, 3))));
        b.output(b.node("transpose", "rotate", List.of(x), attrs("perm", Attr.ints(3, 0, 2, 1))));
        b.output(b.node("transpose", "int_transpose", List.of(ix), Map.of()));
        Value m = b.input("m", f32(3, 37, 45));
        b.output(b.node("transpose", "blocked", List.of(m), attrs("perm", Attr.ints(0, 2, 1))));
        b.output(b.node("transpose", "blocked_outer", List.of(m), attrs("perm", Attr.ints(2, 1, 0))));
        b.output(b.node(
                "slice",
                "slice",
                List.of(x),
                attrs(
                        "starts", dims(1, -1, 0),
                        "ends", dims(3, -100, 2147483647),
                        "axes", Attr.ints(1, 2, 3),
                        "steps", Attr.ints(1, -2, 3))));
        b.output(b.node("concat", "concat", List.of(x, y, x), attrs("axis", new Attr.Int(2))));
        Value col = b.node("slice", "col", List.of(x), attrs("starts", dims(1), "ends", dims(2), "axes", Attr.ints(3)));
        b.output(b.node("expand", "expand", List.of(col), attrs("shape", dims(2, 3, 5, 6))));
        b.output(b.node(
                "constant_of_shape",
                "fill",
                List.of(),
                attrs("shape", dims(3, 2), "value", new Attr.Float(1.5), "dtype", new Attr.Type(DType.F32))));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 9), 0);
        }
    }

    @Test
    void reshapesAreViewsWithoutMethodsOrCopies() throws Exception {
        GraphBuilder b = new GraphBuilder("views");
        Value x = b.input("x", f32(2, 6, 4));
        Value r = b.node("reshape", "flat", List.of(x), attrs("shape", dims(12, 4)));
        Value u = b.node("unsqueeze", "unsq", List.of(r), attrs("axes", Attr.ints(0)));
        Value s = b.node("squeeze", "sq", List.of(u), attrs("axes", Attr.ints(0)));
        Value e = b.node("exp", "exp", List.of(s), Map.of());
        Value back = b.node("reshape", "back", List.of(e), attrs("shape", dims(2, 3, 8)));
        b.output(b.node("identity", "id", List.of(back), Map.of()));
        b.output(b.node("reshape", "from_input", List.of(x), attrs("shape", dims(48))));
        Graph g = b.build();
        String src =
                JavaBackend.sources(g, JavaBackendOptions.forModel("views")).getFirst();
        assertTrue(src.contains("n3_exp("), src);
        assertFalse(src.contains("_reshape(") || src.contains("_squeeze(") || src.contains("_identity("), src);
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 10), 1e-6);
        }
    }
}
