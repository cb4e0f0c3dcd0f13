package fsc.ir.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** Reference results of the ops added for ONNX conformance: trigonometric/hyperbolic maps, cumprod, grid_sample. */
class ConformanceOpsTest {

    private static HostTensor run(String op, Map<String, Attr> attrs, HostTensor... operands) {
        GraphBuilder b = new GraphBuilder("t");
        List<Value> in = new ArrayList<>();
        for (int i = 0; i < operands.length; i++) {
            in.add(b.constant("c" + i, operands[i].toWeight()));
        }
        b.output(b.node(op, "n", in, attrs));
        return new Interpreter(b.build()).run(Map.of()).values().iterator().next();
    }

    private static void assertValues(double[] expected, HostTensor actual, double tol) {
        assertEquals(expected.length, actual.size(), actual.toString());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.getDouble(i), tol, "element " + i + " of " + actual);
        }
    }

    @Test
    void trigonometricAndHyperbolicMapsMatchTheirDefinitions() {
        HostTensor x = HostTensor.ofFloats(new long[] {3}, -0.5f, 0.25f, 0.75f);
        double[] v = {-0.5, 0.25, 0.75};
        Map<String, DoubleUnaryOperator> direct = Map.of(
                "tan", Math::tan,
                "asin", Math::asin,
                "acos", Math::acos,
                "atan", Math::atan,
                "sinh", Math::sinh,
                "cosh", Math::cosh);
        direct.forEach(
                (op, f) -> assertValues(java.util.Arrays.stream(v).map(f).toArray(), run(op, Map.of(), x), 1e-6));
        // The inverse hyperbolics, through the functions they invert.
        Map<String, DoubleUnaryOperator> inverses = Map.of("asinh", Math::sinh, "atanh", Math::tanh);
        inverses.forEach((op, f) -> {
            HostTensor y = run(op, Map.of(), x);
            for (int i = 0; i < v.length; i++) {
                assertEquals(v[i], f.applyAsDouble(y.getDouble(i)), 1e-6, op + " of " + v[i]);
            }
        });
        HostTensor acosh = run("acosh", Map.of(), HostTensor.ofFloats(new long[] {3}, 1f, 2f, 10f));
        assertValues(new double[] {0, 1.3169578969248166, 2.993222846126381}, acosh, 1e-6);
        assertTrue(Double.isNaN(run("acosh", Map.of(), HostTensor.ofFloats(new long[] {1}, 0.5f))
                .getDouble(0)));
        // asinh is odd and stays accurate for large negative arguments (no cancellation).
        HostTensor big = run("asinh", Map.of(), HostTensor.ofFloats(new long[] {1}, -1e6f));
        assertEquals(-14.508657738524219, big.getDouble(0), 1e-5);
    }

    @Test
    void cumprodScansOneAxisInclusiveExclusiveAndReversed() {
        HostTensor x = HostTensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
        assertValues(new double[] {1, 2, 6, 4, 20, 120}, run("cumprod", Map.of("axis", new Attr.Int(1)), x), 0);
        assertValues(
                new double[] {1, 1, 1, 1, 2, 3},
                run("cumprod", Map.of("axis", new Attr.Int(0), "exclusive", new Attr.Int(1)), x),
                0);
        HostTensor ints = HostTensor.ofInts(DType.I32, new long[] {4}, 2, 3, 4, 5);
        HostTensor rev = run(
                "cumprod",
                Map.of("axis", new Attr.Int(0), "reverse", new Attr.Int(1), "exclusive", new Attr.Int(1)),
                ints);
        assertArrayEquals(new long[] {60, 20, 5, 1}, rev.toLongArray());
    }

    @Test
    void bitwiseOpsOnIntegersOnly() {
        HostTensor a = HostTensor.ofInts(DType.I32, new long[] {3}, 12, -1, 5);
        HostTensor b = HostTensor.ofInts(DType.I32, new long[] {3}, 10, 6, 0);
        assertArrayEquals(
                new long[] {8, 6, 0}, run("bitwise_and", Map.of(), a, b).toLongArray());
        assertArrayEquals(
                new long[] {14, -1, 5}, run("bitwise_or", Map.of(), a, b).toLongArray());
        assertArrayEquals(
                new long[] {6, -7, 5}, run("bitwise_xor", Map.of(), a, b).toLongArray());
        assertArrayEquals(
                new long[] {-13, 0, -6}, run("bitwise_not", Map.of(), a).toLongArray());
        HostTensor f = HostTensor.ofFloats(new long[] {1}, 1f);
        FscException e = assertThrows(FscException.class, () -> run("bitwise_and", Map.of(), f, f));
        assertTrue(e.getMessage().contains("must be an integer tensor"), e.getMessage());
    }

    /** Unsigned shifts keep the element's low bits and give 0 from the width on (numpy's rule), also for u64. */
    @Test
    void bitShiftsOnUnsignedTypes() {
        Map<String, Attr> none = Map.of();
        HostTensor x8 = HostTensor.ofInts(DType.U8, new long[] {5}, 1, 255, 16, 3, 200);
        HostTensor y8 = HostTensor.ofInts(DType.U8, new long[] {5}, 1, 1, 4, 8, 255);
        assertArrayEquals(
                new long[] {2, 254, 0, 0, 0},
                run("bit_shift_left", none, x8, y8).toLongArray());
        assertArrayEquals(
                new long[] {0, 127, 1, 0, 0},
                run("bit_shift_right", none, x8, y8).toLongArray());
        HostTensor x32 = HostTensor.ofInts(DType.U32, new long[] {3}, 0xFFFF_FFFFL, 0xFFFF_FFFFL, 1);
        HostTensor y32 = HostTensor.ofInts(DType.U32, new long[] {3}, 4, 32, 31);
        assertArrayEquals(
                new long[] {0xFFFF_FFF0L, 0, 0x8000_0000L},
                run("bit_shift_left", none, x32, y32).toLongArray());
        assertArrayEquals(
                new long[] {0x0FFF_FFFFL, 0, 0},
                run("bit_shift_right", none, x32, y32).toLongArray());
        // u64 amounts are unsigned too: 2^64 - 1 is a huge shift, not -1.
        HostTensor x64 = HostTensor.ofInts(DType.U64, new long[] {3}, -1L, 1, -1L);
        HostTensor y64 = HostTensor.ofInts(DType.U64, new long[] {3}, 63, 64, -1L);
        assertArrayEquals(
                new long[] {Long.MIN_VALUE, 0, 0},
                run("bit_shift_left", none, x64, y64).toLongArray());
        assertArrayEquals(
                new long[] {1, 0, 0}, run("bit_shift_right", none, x64, y64).toLongArray());
        HostTensor i32 = HostTensor.ofInts(DType.I32, new long[] {1}, 1);
        FscException e = assertThrows(FscException.class, () -> run("bit_shift_left", none, i32, i32));
        assertTrue(e.getMessage().contains("must be u8, u16, u32 or u64"), e.getMessage());
    }

    /** Bitcast keeps every byte: IEEE bit patterns worked out by hand, and sign bits read unsigned. */
    @Test
    void bitcastReinterpretsBytes() {
        HostTensor f = HostTensor.ofFloats(new long[] {3}, 1f, -2f, 0f);
        HostTensor asInt = run("bitcast", Map.of("to", new Attr.Type(DType.I32)), f);
        assertEquals(DType.I32, asInt.dtype());
        assertArrayEquals(new long[] {0x3F80_0000L, (int) 0xC000_0000L, 0}, asInt.toLongArray());
        HostTensor back = run("bitcast", Map.of("to", new Attr.Type(DType.F32)), asInt);
        assertValues(new double[] {1, -2, 0}, back, 0);
        HostTensor i8 = HostTensor.ofInts(DType.I8, new long[] {2}, -1, -128);
        assertArrayEquals(
                new long[] {255, 128},
                run("bitcast", Map.of("to", new Attr.Type(DType.U8)), i8).toLongArray());
        FscException e =
                assertThrows(FscException.class, () -> run("bitcast", Map.of("to", new Attr.Type(DType.I16)), asInt));
        assertTrue(e.getMessage().contains("same size"), e.getMessage());
    }

    /**
     * x[i][j] = 4i + j is linear, so bilinear samples are exact: the 2×2 samples of region (0,0)-(2,2)
     * at 0.5 and 1.5 average to 4·1 + 1 = 5; "max" takes the largest weighted tap of the sample at
     * (1.5, 1.5), 0.25·10; a region past the image samples 0; samples of region (2,2)-(4,4) past the
     * last pixel centre clamp to it: (12.5 + 13 + 14.5 + 15) / 4 = 13.75, and the max is the clamped
     * corner x[3][3] = 15 with weight 1.
     */
    @Test
    void roiAlignOnALinearImage() {
        float[] pixels = new float[16];
        for (int i = 0; i < 16; i++) {
            pixels[i] = i;
        }
        HostTensor x = HostTensor.ofFloats(new long[] {1, 1, 4, 4}, pixels);
        HostTensor rois = HostTensor.ofFloats(new long[] {3, 4}, 0, 0, 2, 2, 10, 10, 12, 12, 2, 2, 4, 4);
        HostTensor batch = HostTensor.ofLongs(new long[] {3}, 0, 0, 0);
        Map<String, Attr> avg = Map.of(
                "coordinate_transformation_mode", new Attr.Str("output_half_pixel"),
                "sampling_ratio", new Attr.Int(2));
        assertValues(new double[] {5, 0, 13.75}, run("roi_align", avg, x, rois, batch), 1e-12);
        Map<String, Attr> max = Map.of(
                "coordinate_transformation_mode", new Attr.Str("output_half_pixel"),
                "sampling_ratio", new Attr.Int(2),
                "mode", new Attr.Str("max"));
        assertValues(new double[] {2.5, 0, 15}, run("roi_align", max, x, rois, batch), 1e-12);
        // half_pixel shifts by half a pixel: region (0.5,0.5)-(2.5,2.5) is the first one above.
        HostTensor shifted = HostTensor.ofFloats(new long[] {1, 4}, 0.5f, 0.5f, 2.5f, 2.5f);
        HostTensor one = HostTensor.ofLongs(new long[] {1}, 0);
        assertValues(
                new double[] {5}, run("roi_align", Map.of("sampling_ratio", new Attr.Int(2)), x, shifted, one), 1e-12);
        HostTensor bad = HostTensor.ofLongs(new long[] {1}, 1);
        FscException e = assertThrows(FscException.class, () -> run("roi_align", Map.of(), x, shifted, bad));
        assertTrue(e.getMessage().contains("batch index 1"), e.getMessage());
    }

    /**
     * Tokens 1 2 1 2 3 against unigrams {1, 3} and bigrams {12, 21, 13}: at skip distance 1 the
     * unigrams count 2 and 1 and the bigrams 12 twice, 21 once; at distance 2 (pairs 11, 22, 13) only
     * 13 counts. Unigrams are not counted again at distance 2.
     */
    @Test
    void tfidfCountsNGramsWithSkips() {
        HostTensor x = HostTensor.ofInts(DType.I32, new long[] {5}, 1, 2, 1, 2, 3);
        Map<String, Attr> tf = new java.util.TreeMap<>(Map.of(
                "min_gram_length", new Attr.Int(1),
                "max_gram_length", new Attr.Int(2),
                "max_skip_count", new Attr.Int(1),
                "mode", new Attr.Str("TF"),
                "ngram_counts", Attr.ints(0, 2),
                "ngram_indexes", Attr.ints(0, 1, 2, 3, 4),
                "pool_int64s", Attr.ints(1, 3, 1, 2, 2, 1, 1, 3)));
        assertValues(new double[] {2, 1, 2, 1, 1}, run("tfidf_vectorizer", tf, x), 0);
        Map<String, Attr> bigrams = new java.util.TreeMap<>(tf);
        bigrams.put("min_gram_length", new Attr.Int(2));
        assertValues(new double[] {0, 0, 2, 1, 1}, run("tfidf_vectorizer", bigrams, x), 0);
        Map<String, Attr> weighted = new java.util.TreeMap<>(tf);
        weighted.put("weights", new Attr.Floats(List.of(0.5, 1.0, 2.0, 3.0, 4.0)));
        weighted.put("mode", new Attr.Str("TFIDF"));
        assertValues(new double[] {1, 1, 4, 3, 4}, run("tfidf_vectorizer", weighted, x), 0);
        weighted.put("mode", new Attr.Str("IDF"));
        assertValues(new double[] {0.5, 1, 2, 3, 4}, run("tfidf_vectorizer", weighted, x), 0);
    }

    /** x = [[0, 1], [2, 3]] sampled at hand-picked normalised positions; values worked out by hand. */
    @Test
    void gridSampleInterpolatesAndPadsLikeOnnx() {
        HostTensor x = HostTensor.ofFloats(new long[] {1, 1, 2, 2}, 0, 1, 2, 3);
        // (x, y) = centre, top-left pixel centre (align_corners=0 maps -0.5 to pixel 0), far outside.
        HostTensor grid = HostTensor.ofFloats(new long[] {1, 1, 3, 2}, 0, 0, -0.5f, -0.5f, 3, 0);
        assertValues(
                new double[] {1.5, 0, 0}, run("grid_sample", Map.of("mode", new Attr.Str("linear")), x, grid), 1e-6);
        // border clamps x = 3 (pixel 6.5) to column 1, y = 0 is between the rows: (1 + 3) / 2.
        assertValues(
                new double[] {1.5, 0, 2},
                run("grid_sample", Map.of("padding_mode", new Attr.Str("border")), x, grid),
                1e-6);
        // nearest rounds pixel 0.5 to even (0) on both axes at the centre.
        assertValues(
                new double[] {0, 0, 0}, run("grid_sample", Map.of("mode", new Attr.Str("nearest")), x, grid), 1e-6);
        // align_corners=1: -1 and 1 are the corner pixel centres.
        HostTensor corners = HostTensor.ofFloats(new long[] {1, 1, 2, 2}, -1, -1, 1, 1);
        assertValues(
                new double[] {0, 3}, run("grid_sample", Map.of("align_corners", new Attr.Int(1)), x, corners), 1e-6);
    }

    @Test
    void gridSampleRefusesCubicIn3dAndMismatchedGrids() {
        GraphBuilder b = new GraphBuilder("t");
        Value x = b.input("x", TensorType.of(DType.F32, 1, 1, 2, 2, 2));
        Value g = b.input("g", TensorType.of(DType.F32, 1, 2, 2, 2, 3));
        FscException e = assertThrows(
                FscException.class,
                () -> b.node("grid_sample", "gs", List.of(x, g), Map.of("mode", new Attr.Str("cubic"))));
        assertTrue(e.getMessage().contains("cubic sampling needs 2 spatial axes"), e.getMessage());
        Value g2 = b.input("g2", TensorType.of(DType.F32, 1, 2, 2, 2, 2));
        assertThrows(FscException.class, () -> b.node("grid_sample", "gs2", List.of(x, g2), Map.of()));
    }
}
