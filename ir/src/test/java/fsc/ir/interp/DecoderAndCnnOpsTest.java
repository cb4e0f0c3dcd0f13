package fsc.ir.interp;

import static fsc.ir.TestTypes.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.GraphBuilder;
import fsc.ir.TestWeights;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Shape rules and reference results for the decoder ops (range, split, trilu, ...) and the CNN ops. */
class DecoderAndCnnOpsTest {

    private static List<HostTensor> run(String op, Map<String, Attr> attrs, int outputs, HostTensor... operands) {
        GraphBuilder b = new GraphBuilder("t");
        List<Value> in = new ArrayList<>();
        for (int i = 0; i < operands.length; i++) {
            in.add(b.constant("c" + i, operands[i].toWeight()));
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            names.add("y" + i);
        }
        b.node(op, "n", in, attrs, names).forEach(b::output);
        return List.copyOf(
                new fsc.ir.interp.Interpreter(b.build()).run(Map.of()).values());
    }

    private static HostTensor run(String op, Map<String, Attr> attrs, HostTensor... operands) {
        return run(op, attrs, 1, operands).getFirst();
    }

    private static HostTensor f(long[] shape, float... v) {
        return HostTensor.ofFloats(shape, v);
    }

    private static long[] s(long... dims) {
        return dims;
    }

    private static void assertValues(double[] expected, HostTensor actual) {
        assertEquals(expected.length, actual.size(), actual.toString());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.getDouble(i), 1e-6, "element " + i + " of " + actual);
        }
    }

    /**
     * {@code qmatmul} on float operands (rows in blocks of four, the columns over threads) gives the
     * same values as summing the double products in order of k, element by element: 7 rows, so one
     * block of four and three rows after it; f16 weights read the same way.
     */
    @Test
    void qmatmulOfFloatsSumsInOrderOfK() {
        java.util.Random random = new java.util.Random(7);
        int rows = 7;
        int n = 5;
        int k = 33;
        float[] x = new float[rows * k];
        float[] w = new float[n * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = Float.float16ToFloat(Float.floatToFloat16((float) random.nextGaussian()));
        }
        HostTensor f16 = HostTensor.zeros(DType.F16, s(n, k));
        for (int i = 0; i < w.length; i++) {
            f16.setDouble(i, w[i]);
        }
        for (HostTensor weight : List.of(f(s(n, k), w), f16)) {
            HostTensor y = run("qmatmul", Map.of(), f(s(rows, k), x), weight);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int i = 0; i < k; i++) {
                        acc += (double) x[r * k + i] * w[j * k + i];
                    }
                    assertEquals((float) acc, (float) y.getDouble(r * n + j), "y[" + r + "," + j + "]");
                }
            }
        }
    }

    @Test
    void rangeHasAKnownOrSymbolicLength() {
        HostTensor r = run(
                "range",
                Map.of(),
                HostTensor.ofLongs(s(), 10),
                HostTensor.ofLongs(s(), 1),
                HostTensor.ofLongs(s(), -3));
        assertArrayEquals(new long[] {10, 7, 4}, r.toLongArray());
        GraphBuilder b = new GraphBuilder("g").symbol("S", 8);
        Value x = b.input("x", t("f32[1,S]"));
        Value len = b.node(
                "gather",
                "len",
                List.of(b.node("shape", "sh", List.of(x), Map.of()), b.constant("one", TestWeights.scalar(1))),
                Map.of());
        Value pos = b.node(
                "range",
                "pos",
                List.of(b.constant("zero", TestWeights.scalar(0)), len, b.constant("step", TestWeights.scalar(1))),
                Map.of());
        assertEquals(t("i64[S]"), pos.type());
        Map<String, HostTensor> out =
                new Interpreter(b.output(pos).build()).run(Map.of("x", HostTensor.zeros(DType.F32, s(1, 5))));
        assertArrayEquals(new long[] {0, 1, 2, 3, 4}, out.get("pos").toLongArray());
    }

    @Test
    void splitBySizesOrIntoEqualParts() {
        HostTensor x = f(s(2, 3), 1, 2, 3, 4, 5, 6);
        List<HostTensor> parts = run("split", Map.of("axis", Attr.of(1), "split", Attr.ints(1, 2)), 2, x);
        assertValues(new double[] {1, 4}, parts.get(0));
        assertValues(new double[] {2, 3, 5, 6}, parts.get(1));
        List<HostTensor> uneven = run("split", Map.of("axis", Attr.of(1), "num_outputs", Attr.of(2)), 2, x);
        assertArrayEquals(s(2, 2), uneven.get(0).shape());
        assertArrayEquals(s(2, 1), uneven.get(1).shape());
        GraphBuilder b = new GraphBuilder("g").symbol("S", 8);
        Value qkv = b.input("qkv", t("f32[S,3*S]"));
        List<Value> heads = b.node(
                "split",
                "qkv",
                List.of(qkv),
                Map.of("axis", Attr.of(1), "num_outputs", Attr.of(3)),
                List.of("q", "k", "v"));
        assertEquals(t("f32[S,S]"), heads.get(2).type());
        FscException e = assertThrows(
                FscException.class, () -> run("split", Map.of("axis", Attr.of(1), "split", Attr.ints(1, 1)), 2, x));
        assertTrue(e.getMessage().contains("add up to 2, not 3"), e.getMessage());
    }

    @Test
    void triluTileCumsumArgmaxClipSilu() {
        HostTensor m = f(s(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertValues(new double[] {1, 2, 3, 0, 5, 6, 0, 0, 9}, run("trilu", Map.of(), m));
        assertValues(
                new double[] {1, 2, 0, 4, 5, 6, 7, 8, 9},
                run("trilu", Map.of("upper", Attr.of(0)), m, HostTensor.ofLongs(s(), 1)));
        HostTensor tiled = run("tile", Map.of(), f(s(1, 2), 1, 2), HostTensor.ofLongs(s(2), 2, 2));
        assertArrayEquals(s(2, 4), tiled.shape());
        assertValues(new double[] {1, 2, 1, 2, 1, 2, 1, 2}, tiled);
        HostTensor v = f(s(4), 1, 2, 3, 4);
        assertValues(new double[] {1, 3, 6, 10}, run("cumsum", Map.of(), v, HostTensor.ofLongs(s(), 0)));
        assertValues(
                new double[] {9, 7, 4, 0},
                run("cumsum", Map.of("exclusive", Attr.of(1), "reverse", Attr.of(1)), v, HostTensor.ofLongs(s(), 0)));
        HostTensor am = run("argmax", Map.of("axis", Attr.of(1), "keepdims", Attr.of(0)), f(s(2, 3), 1, 5, 5, 7, 0, 7));
        assertEquals(DType.I64, am.dtype());
        assertArrayEquals(new long[] {1, 0}, am.toLongArray());
        assertArrayEquals(
                new long[] {2, 2},
                run("argmax", Map.of("axis", Attr.of(1), "select_last_index", Attr.of(1)), f(s(2, 3), 1, 5, 5, 7, 0, 7))
                        .toLongArray());
        assertValues(new double[] {-1, 0.5, 2}, run("clip", Map.of(), f(s(3), -3, 0.5f, 9), f(s(), -1), f(s(), 2)));
        assertValues(new double[] {0, 0.5, 9}, run("clip", Map.of("min", Attr.of(0.0)), f(s(3), -3, 0.5f, 9)));
        assertValues(new double[] {1 / (1 + Math.exp(-1)), 0}, run("silu", Map.of(), f(s(2), 1, 0)));
    }

    @Test
    void rmsNormScalesByRootMeanSquare() {
        // rms of [3, 4] is sqrt(12.5).
        double r = Math.sqrt(12.5);
        assertValues(
                new double[] {3 / r * 2, 4 / r * 0.5},
                run("rms_norm", Map.of("epsilon", Attr.of(0.0)), f(s(1, 2), 3, 4), f(s(2), 2, 0.5f)));
    }

    @Test
    void convWithPaddingStridesAndGroups() {
        // 3x3 input 1..9, 2x2 kernel of ones, pads 1, stride 2: windows at corners of the padded 5x5.
        HostTensor x = f(s(1, 1, 3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
        HostTensor w = f(s(1, 1, 2, 2), 1, 1, 1, 1);
        HostTensor y =
                run("conv", Map.of("pads", Attr.ints(1, 1, 1, 1), "strides", Attr.ints(2, 2)), x, w, f(s(1), 10));
        assertArrayEquals(s(1, 1, 2, 2), y.shape());
        assertValues(new double[] {1 + 10, 2 + 3 + 10, 4 + 7 + 10, 5 + 6 + 8 + 9 + 10}, y);
        // Two groups of one channel each: each output channel sees only its own input channel.
        HostTensor x2 = f(s(1, 2, 1, 2), 1, 2, 10, 20);
        HostTensor w2 = f(s(2, 1, 1, 1), 3, -1);
        assertValues(new double[] {3, 6, -10, -20}, run("conv", Map.of("group", Attr.of(2)), x2, w2));
        GraphBuilder b = new GraphBuilder("g").symbol("N", 4);
        Value in = b.input("x", t("f32[N,3,28,28]"));
        Value k = b.constant("k", HostTensor.zeros(DType.F32, s(8, 3, 5, 5)).toWeight());
        assertEquals(
                t("f32[N,8,28,28]"),
                b.node("conv", "c", List.of(in, k), Map.of("auto_pad", Attr.of("SAME_UPPER")))
                        .type());
        assertThrows(
                FscException.class,
                () -> b.node(
                        "conv",
                        "bad",
                        List.of(
                                in,
                                b.constant(
                                        "k4",
                                        HostTensor.zeros(DType.F32, s(8, 4, 5, 5))
                                                .toWeight())),
                        Map.of()));
    }

    @Test
    void poolsAndBatchNorm() {
        HostTensor x = f(s(1, 1, 3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
        Map<String, Attr> k2 = Map.of("kernel_shape", Attr.ints(2, 2));
        assertValues(new double[] {5, 6, 8, 9}, run("max_pool", k2, x));
        assertValues(new double[] {3, 4, 6, 7}, run("average_pool", k2, x));
        // ceil_mode with stride 2 adds a partial window at the edge: [[5, 6], [8, 9]] → 5, 6, 8, 9.
        HostTensor ceil = run(
                "max_pool",
                Map.of("kernel_shape", Attr.ints(2, 2), "strides", Attr.ints(2, 2), "ceil_mode", Attr.of(1)),
                x);
        assertArrayEquals(s(1, 1, 2, 2), ceil.shape());
        assertValues(new double[] {5, 6, 8, 9}, ceil);
        // Padding counts toward the divisor only with count_include_pad.
        Map<String, Attr> padded = Map.of("kernel_shape", Attr.ints(2, 2), "pads", Attr.ints(1, 1, 0, 0));
        assertEquals(1, run("average_pool", padded, x).getDouble(0));
        Map<String, Attr> counted =
                Map.of("kernel_shape", Attr.ints(2, 2), "pads", Attr.ints(1, 1, 0, 0), "count_include_pad", Attr.of(1));
        assertEquals(0.25, run("average_pool", counted, x).getDouble(0));
        assertValues(new double[] {5}, run("global_average_pool", Map.of(), x));
        assertValues(new double[] {9}, run("global_max_pool", Map.of(), x));
        HostTensor bn = run(
                "batch_norm",
                Map.of("epsilon", Attr.of(0.0)),
                f(s(1, 2, 1, 1), 3, 3),
                f(s(2), 2, 1),
                f(s(2), 0, 1),
                f(s(2), 1, 3),
                f(s(2), 4, 1));
        assertValues(new double[] {(3 - 1) / 2.0 * 2, (3 - 3) / 1.0 + 1}, bn);
    }

    @Test
    void attentionMasksAndCausalAlignments() {
        // scale 1: scores [0, ln 3] → weights [1/4, 3/4] → 4/4 + 3*8/4 = 7.
        HostTensor q = f(s(1, 1, 2, 1), 1, 1);
        HostTensor k = f(s(1, 1, 2, 1), 0, (float) Math.log(3));
        HostTensor v = f(s(1, 1, 2, 1), 4, 8);
        Map<String, Attr> one = Map.of("scale", Attr.of(1.0));
        assertValues(new double[] {7, 7}, run("attention", one, q, k, v));
        Map<String, Attr> upperLeft = Map.of("scale", Attr.of(1.0), "causal", Attr.of("upper_left"));
        assertValues(new double[] {4, 7}, run("attention", upperLeft, q, k, v));
        // One new query over a cache of one past key: lower_right lets it see both keys.
        HostTensor q1 = f(s(1, 1, 1, 1), 1);
        Map<String, Attr> lowerRight = Map.of("scale", Attr.of(1.0), "causal", Attr.of("lower_right"));
        assertValues(new double[] {7}, run("attention", lowerRight, q1, k, v));
        assertValues(new double[] {4}, run("attention", upperLeft, q1, k, v));
        HostTensor onlySecond = HostTensor.ofInts(DType.BOOL, s(2), 0, 1);
        assertValues(new double[] {8, 8}, run("attention", one, q, k, v, onlySecond));
        HostTensor none = HostTensor.ofInts(DType.BOOL, s(2), 0, 0);
        assertValues(new double[] {0, 0}, run("attention", one, q, k, v, none));
        // Grouped-query: two query heads share the single key/value head.
        HostTensor q2 = f(s(1, 2, 1, 1), 1, 1);
        assertValues(new double[] {7, 7}, run("attention", one, q2, k, v));
        assertThrows(FscException.class, () -> run("attention", Map.of("causal", Attr.of("diagonal")), q, k, v));
    }

    @Test
    void ropeRotatesPairsByPosition() {
        // Table row 1 is a quarter turn: (1, 0) → (0, 1); row 0 is the identity.
        HostTensor cos = f(s(2, 1), 1, 0);
        HostTensor sin = f(s(2, 1), 0, 1);
        HostTensor x = f(s(1, 1, 2, 2), 1, 0, 1, 0);
        HostTensor y = run("rope", Map.of(), x, cos, sin, HostTensor.ofLongs(s(1, 2), 0, 1));
        assertValues(new double[] {1, 0, 0, 1}, y);
        // Interleaved pairs are neighbours; with halves the pair of feature 0 is feature 2.
        HostTensor x4 = f(s(1, 1, 1, 4), 1, 2, 3, 4);
        HostTensor cos2 = f(s(2, 2), 1, 1, 0, 0);
        HostTensor sin2 = f(s(2, 2), 0, 0, 1, 1);
        HostTensor pos = HostTensor.ofLongs(s(1, 1), 1);
        assertValues(new double[] {-3, -4, 1, 2}, run("rope", Map.of(), x4, cos2, sin2, pos));
        assertValues(new double[] {-2, 1, -4, 3}, run("rope", Map.of("interleaved", Attr.of(1)), x4, cos2, sin2, pos));
        // Partial rotation leaves the features past rotary_embedding_dim alone.
        assertValues(
                new double[] {-2, 1, 3, 4},
                run("rope", Map.of("rotary_embedding_dim", Attr.of(2)), x4, f(s(2, 1), 1, 0), f(s(2, 1), 0, 1), pos));
    }
}
