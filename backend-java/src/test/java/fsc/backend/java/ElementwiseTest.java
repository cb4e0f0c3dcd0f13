package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static fsc.backend.java.TestGraphs.type;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Element-wise ops against the interpreter, one broadcasting pattern per output, odd sizes for vector tails. */
class ElementwiseTest {
    @TempDir
    Path dir;

    @Test
    void binaryOpsWithEachBroadcastingPattern() throws Exception {
        GraphBuilder b = new GraphBuilder("binary");
        Value a = b.input("a", f32(5, 37));
        Value c = b.input("c", f32(5, 37));
        Value bias = b.input("bias", f32(37));
        Value col = b.input("col", f32(5, 1));
        Value mask = b.input("mask", f32(2, 1, 1, 19));
        Value scores = b.input("scores", f32(2, 3, 19, 19));
        Value ia = b.input("ia", type(DType.I64, 4, 9));
        Value ib = b.input("ib", type(DType.I64, 9));
        Value k = b.constant("k", TestGraphs.scalar(0.75f));
        Value two = b.constant("two", TestGraphs.scalar(2f));
        b.output(b.node("add", "same_shape", List.of(a, c), Map.of()));
        b.output(b.node("sub", "bias_right", List.of(a, bias), Map.of()));
        b.output(b.node("min", "bias_left", List.of(bias, a), Map.of()));
        b.output(b.node("mul", "scalar_right", List.of(a, k), Map.of()));
        b.output(b.node("max", "scalar_left", List.of(k, c), Map.of()));
        b.output(b.node("add", "mask", List.of(scores, mask), Map.of()));
        b.output(b.node("mul", "outer", List.of(col, bias), Map.of()));
        Value expC = b.node("exp", "exp_c", List.of(c), Map.of());
        b.output(b.node("div", "div", List.of(a, expC), Map.of()));
        b.output(b.node("pow", "square", List.of(a, two), Map.of()));
        b.output(b.node("pow", "pow", List.of(expC, a), Map.of()));
        b.output(b.node("add", "int_add", List.of(ia, ib), Map.of()));
        b.output(b.node("mul", "int_mul", List.of(ia, ib), Map.of()));
        Value less = b.node("less", "less", List.of(a, c), Map.of());
        b.output(less);
        b.output(b.node("where", "where", List.of(less, a, bias), Map.of()));
        b.output(b.node("equal", "int_equal", List.of(ia, ib), Map.of()));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 1), 1e-5);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 2), 1e-5);
        }
    }

    @Test
    void unaryOpsAndCasts() throws Exception {
        GraphBuilder b = new GraphBuilder("unary");
        Value x = b.input("x", f32(3, 41));
        Value ix = b.input("ix", type(DType.I64, 3, 41));
        Value abs = b.node("abs", "abs", List.of(x), Map.of());
        b.output(abs);
        b.output(b.node("sqrt", "sqrt", List.of(abs), Map.of()));
        b.output(b.node("log", "log", List.of(abs), Map.of()));
        for (String op : List.of(
                "neg",
                "reciprocal",
                "exp",
                "erf",
                "tanh",
                "sigmoid",
                "relu",
                "floor",
                "ceil",
                "round",
                "sign",
                "sin",
                "cos")) {
            b.output(b.node(op, op, List.of(x), Map.of()));
        }
        b.output(b.node("gelu", "gelu", List.of(x), Map.of()));
        b.output(b.node("gelu", "gelu_tanh", List.of(x), attrs("approximate", new Attr.Str("tanh"))));
        b.output(b.node("neg", "int_neg", List.of(ix), Map.of()));
        b.output(b.node("cast", "to_f32", List.of(ix), attrs("to", new Attr.Type(DType.F32))));
        Value flag = b.node("cast", "to_bool", List.of(x), attrs("to", new Attr.Type(DType.BOOL)));
        b.output(flag);
        b.output(b.node("not", "not", List.of(flag), Map.of()));
        b.output(b.node("cast", "bool_to_f32", List.of(flag), attrs("to", new Attr.Type(DType.F32))));
        b.output(b.node("cast", "to_f64", List.of(x), attrs("to", new Attr.Type(DType.F64))));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 3), 1e-5);
        }
    }

    @Test
    void mixedTypePowAndEmptyTensors() throws Exception {
        GraphBuilder b = new GraphBuilder("edge_cases");
        Value x = b.input("x", f32(3, 5));
        Value i = b.input("i", type(DType.I32, 3, 5));
        Value empty = b.input("empty", f32(2, 0, 3));
        Value three = b.constant(
                "three", fsc.ir.interp.HostTensor.ofLongs(new long[0], 3).toWeight());
        // An integral float exponent: the interpreter truncates a fractional one before pow (see report).
        Value half = b.constant("half", TestGraphs.scalar(2f));
        b.output(b.node("pow", "float_int", List.of(x, three), Map.of()));
        b.output(b.node("pow", "int_float", List.of(i, half), Map.of()));
        b.output(b.node("exp", "empty_exp", List.of(empty), Map.of()));
        b.output(b.node("identity", "empty_id", List.of(empty), Map.of()));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 4), 1e-5);
        }
    }
}
