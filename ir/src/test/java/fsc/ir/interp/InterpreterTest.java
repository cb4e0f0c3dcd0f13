package fsc.ir.interp;

import static fsc.ir.TestTypes.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TestWeights;
import fsc.ir.Value;
import fsc.ir.ops.OpDef;
import fsc.ir.ops.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Interpreter results against numbers worked out by hand, one test per op family. */
class InterpreterTest {
    private static final double EPS = 1e-6;

    private static long[] shape(long... dims) {
        return dims;
    }

    /** Runs one node whose operands are all constants. */
    private static HostTensor run(String op, Map<String, Attr> attrs, HostTensor... operands) {
        GraphBuilder b = new GraphBuilder("t");
        List<Value> in = new ArrayList<>();
        for (int i = 0; i < operands.length; i++) {
            in.add(b.constant("c" + i, operands[i].toWeight()));
        }
        Value y = b.node(op, "n", in, attrs);
        return new Interpreter(b.output(y).build()).run(Map.of()).get("n");
    }

    private static HostTensor f(long[] shape, float... v) {
        return HostTensor.ofFloats(shape, v);
    }

    private static HostTensor l(long... v) {
        return HostTensor.ofLongs(shape(v.length), v);
    }

    private static void assertClose(double[] expected, HostTensor actual) {
        assertEquals(expected.length, actual.size(), actual.toString());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.getDouble(i), EPS, "element " + i + " of " + actual);
        }
    }

    @Test
    void everyOpHasAKernel() {
        assertEquals(Ops.all().stream().map(OpDef::name).toList(), Interpreter.supportedOps());
    }

    @Test
    void binaryOpsBroadcastAndFollowOnnxIntegerRules() {
        HostTensor sum = run("add", Map.of(), f(shape(2, 1), 10, 20), f(shape(3), 1, 2, 3));
        assertArrayEquals(shape(2, 3), sum.shape());
        assertClose(new double[] {11, 12, 13, 21, 22, 23}, sum);
        assertArrayEquals(
                new long[] {-3, 3}, run("div", Map.of(), l(-7, 7), l(2, 2)).toLongArray());
        assertArrayEquals(
                new long[] {1, -1}, run("mod", Map.of(), l(-7, 7), l(2, -2)).toLongArray());
        assertArrayEquals(
                new long[] {-1, 1},
                run("mod", Map.of("fmod", Attr.of(1)), l(-7, 7), l(2, -2)).toLongArray());
        assertArrayEquals(
                new long[] {0, 1, 0}, run("less", Map.of(), l(3, 1, 2), l(2)).toLongArray());
        assertClose(new double[] {8, 0.125}, run("pow", Map.of(), f(shape(2), 2, 0.5f), f(shape(1), 3)));
        assertClose(new double[] {8, 0.125}, run("pow", Map.of(), f(shape(2), 2, 0.5f), l(3)));
    }

    @Test
    void unaryOpsIncludingErfAndGelu() {
        HostTensor x = f(shape(3), -1, 0.5f, 2.5f);
        assertClose(new double[] {-0.8427007929, 0.5204998778, 0.9995930480}, run("erf", Map.of(), x));
        assertClose(new double[] {-0.1586552539, 0.3457312306, 2.4844758367}, run("gelu", Map.of(), x));
        assertClose(
                new double[] {-0.1588080094, 0.3457140098, 2.4849157339},
                run("gelu", Map.of("approximate", Attr.of("tanh")), x));
        assertClose(new double[] {-2, 0, 2}, run("round", Map.of(), f(shape(3), -2.5f, 0.5f, 1.5f)));
        assertClose(new double[] {0.2689414214, 0.6224593312, 0.9241418200}, run("sigmoid", Map.of(), x));
        assertArrayEquals(
                new long[] {3, 0, 2}, run("abs", Map.of(), l(-3, 0, 2)).toLongArray());
    }

    @Test
    void softmaxAndLogSoftmax() {
        HostTensor x = f(shape(2, 3), 1, 2, 3, 1, 1, 1);
        double third = 1.0 / 3;
        assertClose(
                new double[] {0.0900305732, 0.2447284711, 0.6652409558, third, third, third},
                run("softmax", Map.of(), x));
        assertClose(
                new double[] {-2.4076059644, -1.4076059644, -0.4076059644, -1.0986122887, -1.0986122887, -1.0986122887},
                run("log_softmax", Map.of(), x));
        // axis 0: each column of [[0],[ln 3]] gives 1/4, 3/4.
        assertClose(new double[] {0.25, 0.75}, run("softmax", Map.of("axis", Attr.of(0)), f(shape(2, 1), 0, (float)
                Math.log(3))));
    }

    @Test
    void layerNormNormalisesTrailingAxes() {
        // mean 2.5, variance 1.25: (x - 2.5) / sqrt(1.25) * 2 + 0.5.
        HostTensor x = f(shape(1, 4), 1, 2, 3, 4);
        HostTensor y = run(
                "layer_norm",
                Map.of("epsilon", Attr.of(0.0)),
                x,
                f(shape(4), 2, 2, 2, 2),
                f(shape(4), 0.5f, 0.5f, 0.5f, 0.5f));
        double s = 1 / Math.sqrt(1.25);
        assertClose(new double[] {-1.5 * s * 2 + 0.5, -0.5 * s * 2 + 0.5, 0.5 * s * 2 + 0.5, 1.5 * s * 2 + 0.5}, y);
    }

    @Test
    void matmulBroadcastsBatchesAndPromotesVectors() {
        HostTensor a = f(shape(2, 1, 1, 2), 1, 2, 3, 4);
        HostTensor b = f(shape(1, 3, 2, 1), 1, 0, 0, 1, 1, 1);
        HostTensor y = run("matmul", Map.of(), a, b);
        assertArrayEquals(shape(2, 3, 1, 1), y.shape());
        assertClose(new double[] {1, 2, 3, 3, 4, 7}, y);
        HostTensor mv = run("matmul", Map.of(), f(shape(2, 3), 1, 2, 3, 4, 5, 6), f(shape(3), 1, 0, -1));
        assertArrayEquals(shape(2), mv.shape());
        assertClose(new double[] {-2, -2}, mv);
        HostTensor g = run(
                "gemm",
                Map.of("trans_b", Attr.of(1), "alpha", Attr.of(2.0), "beta", Attr.of(0.5)),
                f(shape(1, 2), 1, 2),
                f(shape(2, 2), 1, 1, 0, 1),
                f(shape(2), 10, 20));
        assertClose(new double[] {2 * 3 + 5, 2 * 2 + 10}, g);
    }

    @Test
    void gatherWrapsNegativeIndices() {
        HostTensor data = f(shape(3, 2), 1, 2, 3, 4, 5, 6);
        HostTensor rows = run("gather", Map.of(), data, l(-1, 0));
        assertArrayEquals(shape(2, 2), rows.shape());
        assertClose(new double[] {5, 6, 1, 2}, rows);
        HostTensor col = run("gather", Map.of("axis", Attr.of(1)), data, HostTensor.ofLongs(shape(), -1));
        assertArrayEquals(shape(3), col.shape());
        assertClose(new double[] {2, 4, 6}, col);
        FscException e = assertThrows(FscException.class, () -> run("gather", Map.of(), data, l(3)));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
    }

    @Test
    void sliceWithStepsAndClamping() {
        HostTensor x = f(shape(10), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertClose(new double[] {8, 5, 2}, run("slice", Map.of(), x, l(8), l(1), l(0), l(-3)));
        assertClose(new double[] {1, 3, 5, 7, 9}, run("slice", Map.of(), x, l(1), l(1000), l(0), l(2)));
        HostTensor m = f(shape(2, 3), 1, 2, 3, 4, 5, 6);
        HostTensor folded =
                run("slice", Map.of("starts", Attr.ints(-2), "ends", Attr.ints(3), "axes", Attr.ints(1)), m);
        assertClose(new double[] {2, 3, 5, 6}, folded);
    }

    @Test
    void reductionsWithAndWithoutKeepdims() {
        HostTensor x = f(shape(2, 2), 1, 2, 3, 4);
        HostTensor sum = run("reduce_sum", Map.of("keepdims", Attr.of(0)), x, l(1));
        assertArrayEquals(shape(2), sum.shape());
        assertClose(new double[] {3, 7}, sum);
        HostTensor mean = run("reduce_mean", Map.of("axes", Attr.ints(0)), x);
        assertArrayEquals(shape(1, 2), mean.shape());
        assertClose(new double[] {2, 3}, mean);
        assertClose(new double[] {4}, run("reduce_max", Map.of(), x));
        assertClose(new double[] {1}, run("reduce_min", Map.of(), x));
        assertClose(new double[] {24}, run("reduce_prod", Map.of(), x));
        assertClose(new double[] {Math.sqrt(5), 5}, run("reduce_l2", Map.of("axes", Attr.ints(-1)), x));
        assertClose(new double[] {1, 2, 3, 4}, run("reduce_sum", Map.of("noop_with_empty_axes", Attr.of(1)), x));
    }

    @Test
    void castRoundsToTheTargetType() {
        HostTensor x = f(shape(4), 1.5f, -2.7f, 1.01171875f, 70000);
        assertArrayEquals(
                new long[] {1, -2, 1, 70000}, run("cast", to(DType.I32), x).toLongArray());
        HostTensor half = run("cast", to(DType.F16), x);
        assertClose(new double[] {1.5, -2.69921875, 1.01171875}, sliceOf(half, 3));
        assertEquals(Double.POSITIVE_INFINITY, half.getDouble(3));
        // bf16 keeps 8 significant bits, rounding ties to even: 1 + 3/256 goes up to 1 + 4/256.
        assertClose(new double[] {1.5, -2.703125, 1.015625, 70144}, run("cast", to(DType.BF16), x));
        assertArrayEquals(
                new long[] {0, 1}, run("cast", to(DType.BOOL), l(0, 3)).toLongArray());
        assertClose(new double[] {1, 0}, run("cast", to(DType.F32), HostTensor.ofInts(DType.BOOL, shape(2), 1, 0)));
        assertArrayEquals(
                new long[] {Long.MAX_VALUE},
                run("cast", to(DType.I64), l(Long.MAX_VALUE)).toLongArray());
    }

    private static Map<String, Attr> to(DType t) {
        return Map.of("to", new Attr.Type(t));
    }

    private static HostTensor sliceOf(HostTensor t, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = t.getDouble(i);
        }
        float[] fl = new float[n];
        for (int i = 0; i < n; i++) {
            fl[i] = (float) v[i];
        }
        return f(shape(n), fl);
    }

    @Test
    void layoutOps() {
        HostTensor m = f(shape(2, 3), 1, 2, 3, 4, 5, 6);
        HostTensor tr = run("transpose", Map.of(), m);
        assertArrayEquals(shape(3, 2), tr.shape());
        assertClose(new double[] {1, 4, 2, 5, 3, 6}, tr);
        HostTensor cat = run("concat", Map.of("axis", Attr.of(1)), m, f(shape(2, 1), 7, 8));
        assertClose(new double[] {1, 2, 3, 7, 4, 5, 6, 8}, cat);
        HostTensor ex = run("expand", Map.of(), f(shape(2, 1), 1, 2), l(2, 3));
        assertClose(new double[] {1, 1, 1, 2, 2, 2}, ex);
        HostTensor w = run(
                "where",
                Map.of(),
                HostTensor.ofInts(DType.BOOL, shape(3), 1, 0, 1),
                f(shape(3), 1, 2, 3),
                f(shape(), -1));
        assertClose(new double[] {1, -1, 3}, w);
        assertArrayEquals(new long[] {2, 3}, run("shape", Map.of(), m).toLongArray());
        HostTensor filled =
                run("constant_of_shape", Map.of("value", Attr.of(7.0), "dtype", new Attr.Type(DType.I64)), l(2, 2));
        assertArrayEquals(new long[] {7, 7, 7, 7}, filled.toLongArray());
        HostTensor r = run("reshape", Map.of(), m, l(3, -1));
        assertArrayEquals(shape(3, 2), r.shape());
        assertClose(new double[] {1, 2, 3, 4, 5, 6}, r);
    }

    /** Symbols bind from input shapes; a reshape fed by shape arithmetic runs at the bound size. */
    @Test
    void bindsSymbolsFromInputsAndChecksBounds() {
        GraphBuilder b = new GraphBuilder("g").symbol("B", 4).symbol("S", 8);
        Value x = b.input("x", t("f32[B,S,4]"));
        Value shape = b.node("shape", "shape", List.of(x), Map.of("end", Attr.of(2)));
        Value target = b.node(
                "concat",
                "target",
                List.of(shape, b.constant("two", TestWeights.vector(2, 2))),
                Map.of("axis", Attr.of(0)));
        Value y = b.node("reshape", "y", List.of(x, target), Map.of());
        Value flat = b.node(
                "reshape",
                "flat",
                List.of(y),
                Map.of("shape", new Attr.Dims(List.of(Dim.sym("B").times(Dim.sym("S")), Dim.of(4)))));
        Graph g = b.output(y).output(flat).build();
        assertEquals(t("f32[B,S,2,2]"), y.type());
        HostTensor in = HostTensor.random(DType.F32, shape(2, 3, 4), new java.util.Random(1));
        Map<String, HostTensor> out = new Interpreter(g).run(Map.of("x", in));
        assertEquals(List.of("y", "flat"), List.copyOf(out.keySet()));
        assertArrayEquals(shape(2, 3, 2, 2), out.get("y").shape());
        assertArrayEquals(in.toFloatArray(), out.get("flat").toFloatArray());
        Map<Value, HostTensor> all = new Interpreter(g).runAll(Map.of("x", in));
        assertArrayEquals(new long[] {2, 3}, all.get(shape).toLongArray());
        assertEquals(List.of(x), List.copyOf(all.keySet()).subList(0, 1));
        FscException e = assertThrows(FscException.class, () -> new Interpreter(g)
                .run(Map.of("x", HostTensor.zeros(DType.F32, shape(2, 9, 4)))));
        assertTrue(e.getMessage().contains("S = 9"), e.getMessage());
        assertThrows(FscException.class, () -> new Interpreter(g).run(Map.of()));
        assertThrows(FscException.class, () -> new Interpreter(g)
                .run(Map.of("x", HostTensor.zeros(DType.F32, shape(2, 3, 5)))));
    }
}
