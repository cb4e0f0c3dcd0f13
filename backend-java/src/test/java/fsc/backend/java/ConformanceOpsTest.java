package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static fsc.backend.java.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generated code against the interpreter for the ops added for ONNX conformance. */
class ConformanceOpsTest {
    @TempDir
    Path dir;

    @Test
    void trigonometricAndHyperbolicMapsInF32AndF64() throws Exception {
        GraphBuilder b = new GraphBuilder("trig").symbol("S", 16);
        Value x = b.input("x", f32(3, "S"));
        Value d = b.input("d", type(DType.F64, 2, 7));
        for (String op : List.of("tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh")) {
            b.output(b.node(op, op, List.of(x), Map.of()));
            b.output(b.node(op, op + "_f64", List.of(d), Map.of()));
        }
        // acosh is real from 1 up: feed it cosh(x) >= 1.
        Value c = b.node("cosh", "c", List.of(x), Map.of());
        b.output(b.node("acosh", "acosh", List.of(c), Map.of()));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("S", 11L), 81), 1e-6);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("S", 16L), 82), 1e-6);
        }
    }

    @Test
    void cumprodOverFloatsDoublesAndInts() throws Exception {
        GraphBuilder b = new GraphBuilder("cumprod");
        Value x = b.input("x", f32(3, 5));
        Value d = b.input("d", type(DType.F64, 4, 2, 3));
        Value i = b.input("i", type(DType.I32, 2, 6));
        b.output(b.node("cumprod", "p", List.of(x), attrs("axis", new Attr.Int(1))));
        b.output(b.node(
                "cumprod",
                "p_rev",
                List.of(d),
                attrs("axis", new Attr.Int(1), "reverse", new Attr.Int(1), "exclusive", new Attr.Int(1))));
        b.output(b.node("cumprod", "p_int", List.of(i), attrs("axis", new Attr.Int(-1), "exclusive", new Attr.Int(1))));
        b.output(b.node("cumsum", "s_f64", List.of(d), attrs("axis", new Attr.Int(2))));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 83), 1e-6);
        }
    }

    @Test
    void bitwiseOpsOnI32AndI64WithBroadcasting() throws Exception {
        GraphBuilder b = new GraphBuilder("bitwise");
        Value a = b.input("a", type(DType.I32, 3, 4));
        Value c = b.input("c", type(DType.I32, 4));
        Value l = b.input("l", type(DType.I64, 2, 5));
        Value shifted = b.constant(
                "big", HostTensor.ofLongs(new long[] {1}, 0x7_0000_0005L).toWeight());
        for (String op : List.of("bitwise_and", "bitwise_or", "bitwise_xor")) {
            b.output(b.node(op, op, List.of(a, c), Map.of()));
            b.output(b.node(op, op + "_i64", List.of(l, shifted), Map.of()));
        }
        b.output(b.node("bitwise_not", "not", List.of(a), Map.of()));
        b.output(b.node("bitwise_not", "not_i64", List.of(l), Map.of()));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 86), 0);
        }
    }

    /**
     * Bitwise ops in every whole-byte integer width, unsigned shifts (amounts past the width included),
     * bitcasts and 8-bit max pooling: the generated code must give the interpreter's bytes exactly.
     */
    @Test
    void integerBitOpsInEveryWidthMatchTheInterpreterBytes() throws Exception {
        GraphBuilder b = new GraphBuilder("bit_ops");
        List<DType> widths =
                List.of(DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.U32, DType.I64, DType.U64);
        Map<String, HostTensor> inputs = new TreeMap<>();
        for (DType t : widths) {
            String n = t.irName();
            Value a = b.input("a_" + n, type(t, 2, 3));
            Value c = b.input("c_" + n, type(t, 3));
            // Extremes of every width: all ones, the sign bit alone, and small values.
            inputs.put(
                    "a_" + n,
                    HostTensor.ofInts(
                            t,
                            new long[] {2, 3},
                            -1L,
                            Long.MIN_VALUE >>> (64 - bits(t)),
                            5,
                            0,
                            12,
                            1L << (bits(t) - 2)));
            inputs.put("c_" + n, HostTensor.ofInts(t, new long[] {3}, 10, -1L, 6));
            for (String op : List.of("bitwise_and", "bitwise_or", "bitwise_xor")) {
                b.output(b.node(op, op + "_" + n, List.of(a, c), Map.of()));
            }
            b.output(b.node("bitwise_not", "not_" + n, List.of(a), Map.of()));
            DType same = sameSize(t);
            b.output(b.node("bitcast", "bitcast_" + n, List.of(a), Map.of("to", new Attr.Type(same))));
            if (t == DType.U8 || t == DType.U16 || t == DType.U32 || t == DType.U64) {
                Value amount = b.input("s_" + n, type(t, 6));
                inputs.put("s_" + n, HostTensor.ofInts(t, new long[] {6}, 0, 1, bits(t) - 1, bits(t), 33, -1L));
                Value x = b.input("x_" + n, type(t, 6));
                inputs.put("x_" + n, HostTensor.ofInts(t, new long[] {6}, 3, -1L, -1L, 7, -1L, -1L));
                b.output(b.node("bit_shift_left", "shl_" + n, List.of(x, amount), Map.of()));
                b.output(b.node("bit_shift_right", "shr_" + n, List.of(x, amount), Map.of()));
            }
        }
        for (DType t : List.of(DType.U8, DType.I8)) {
            Value img = b.input("img_" + t.irName(), type(t, 1, 2, 4, 4));
            long[] pixels = new long[32];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (i * 37L) % 256 - (t == DType.I8 ? 128 : 0);
            }
            inputs.put("img_" + t.irName(), HostTensor.ofInts(t, new long[] {1, 2, 4, 4}, pixels));
            b.output(b.node(
                    "max_pool",
                    "pool_" + t.irName(),
                    List.of(img),
                    attrs("kernel_shape", Attr.ints(2, 2), "pads", Attr.ints(1, 1, 0, 0))));
        }
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            Map<String, HostTensor> expected = new Interpreter(g).run(inputs);
            Map<String, HostTensor> actual = h.run(inputs);
            assertEquals(expected.keySet(), actual.keySet());
            expected.forEach((name, e) -> {
                HostTensor a = actual.get(name);
                assertEquals(e.dtype(), a.dtype(), name);
                assertEquals(e.data(), a.data(), () -> name + ": " + e + " vs " + a);
            });
            // Hand-checked: u8 255 << 7 keeps 0x80; 255 >> 8 and any shift by 33 or 255 give 0.
            assertArrayEquals(
                    new long[] {3, 254, 128, 0, 0, 0}, actual.get("shl_u8").toLongArray());
            assertArrayEquals(
                    new long[] {3, 127, 1, 0, 0, 0}, actual.get("shr_u8").toLongArray());
            // u64: 2^64-1 >> 63 is 1; a shift by 2^64-1 is 0, not a shift by 63.
            assertArrayEquals(
                    new long[] {3, -2L, Long.MIN_VALUE, 0, -1L << 33, 0},
                    actual.get("shl_u64").toLongArray());
            assertArrayEquals(
                    new long[] {3, Long.MAX_VALUE, 1, 0, -1L >>> 33, 0},
                    actual.get("shr_u64").toLongArray());
            // u16 bitwise_not of 0xFFFF, 0x8000, 5 | 0, 12, 0x4000.
            assertArrayEquals(
                    new long[] {0, 0x7FFF, 0xFFFA, 0xFFFF, 0xFFF3, 0xBFFF},
                    actual.get("not_u16").toLongArray());
        }
    }

    /** Regions inside, across and past the border, both coordinate modes, avg and max, sampling ratio 0 and 2. */
    @Test
    void roiAlignMatchesTheInterpreter() throws Exception {
        GraphBuilder b = new GraphBuilder("roi_align");
        Value x = b.input("x", f32(2, 3, 6, 5));
        Value rois = b.constant(
                "rois",
                HostTensor.ofFloats(
                                new long[] {4, 4},
                                0,
                                0,
                                4,
                                5,
                                1.2f,
                                0.7f,
                                3.9f,
                                2.1f,
                                -2,
                                3,
                                8,
                                9,
                                4.5f,
                                5.5f,
                                4.6f,
                                5.6f)
                        .toWeight());
        Value batch = b.constant(
                "batch", HostTensor.ofLongs(new long[] {4}, 0, 1, 1, 0).toWeight());
        for (String transform : List.of("half_pixel", "output_half_pixel")) {
            for (String mode : List.of("avg", "max")) {
                for (int ratio : new int[] {0, 2}) {
                    b.output(b.node(
                            "roi_align",
                            transform + "_" + mode + "_" + ratio,
                            List.of(x, rois, batch),
                            attrs(
                                    "coordinate_transformation_mode", new Attr.Str(transform),
                                    "mode", new Attr.Str(mode),
                                    "sampling_ratio", new Attr.Int(ratio),
                                    "output_height", new Attr.Int(3),
                                    "output_width", new Attr.Int(2),
                                    "spatial_scale", new Attr.Float(0.75))));
                }
            }
        }
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 87), 1e-5);
        }
    }

    /** Tokens in [0, 4) against a pool of uni- and bigrams, every mode, i32 rows and one i64 sequence. */
    @Test
    void tfidfMatchesTheInterpreter() throws Exception {
        GraphBuilder b = new GraphBuilder("tfidf");
        Value rows = b.input("rows", type(DType.I32, 3, 9));
        Value seq = b.input("seq", type(DType.I64, 11));
        for (String mode : List.of("TF", "IDF", "TFIDF")) {
            Map<String, Attr> a = new TreeMap<>(attrs(
                    "min_gram_length", new Attr.Int(1),
                    "max_gram_length", new Attr.Int(2),
                    "max_skip_count", new Attr.Int(2),
                    "mode", new Attr.Str(mode),
                    "ngram_counts", Attr.ints(0, 2),
                    "ngram_indexes", Attr.ints(5, 0, 1, 2, 3, 4),
                    "pool_int64s", Attr.ints(0, 3, 0, 1, 1, 1, 3, 2, 2, 0)));
            if (!mode.equals("TF")) {
                a.put("weights", new Attr.Floats(List.of(0.5, 1.5, 2.0, 0.25, 3.0, 1.0)));
            }
            b.output(b.node("tfidf_vectorizer", "rows_" + mode, List.of(rows), a));
            b.output(b.node("tfidf_vectorizer", "seq_" + mode, List.of(seq), a));
        }
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 88), 0);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 89), 0);
        }
    }

    private static int bits(DType t) {
        return t.blockBytes() * 8;
    }

    /** The other integer type of {@code t}'s size (signed for unsigned and back). */
    private static DType sameSize(DType t) {
        return switch (t) {
            case I8 -> DType.U8;
            case U8 -> DType.I8;
            case I16 -> DType.U16;
            case U16 -> DType.I16;
            case I32 -> DType.F32;
            case U32 -> DType.I32;
            case I64 -> DType.F64;
            case U64 -> DType.I64;
            default -> throw new IllegalArgumentException(t.irName());
        };
    }

    /** Every mode × padding × align_corners, 2-D and 3-D, with grid points up to 1.6 outside the image. */
    @Test
    void gridSampleEveryModeAndPadding() throws Exception {
        GraphBuilder b = new GraphBuilder("grid_sample");
        Value x2 = b.input("x2", f32(2, 3, 4, 5));
        Value g2 = b.input("g2", f32(2, 3, 6, 2));
        Value x3 = b.input("x3", f32(1, 2, 3, 4, 2));
        Value g3 = b.input("g3", f32(1, 2, 3, 2, 3));
        Value spread = b.constant("spread", TestGraphs.scalar(1.6f));
        Value wide2 = b.node("mul", "wide2", List.of(g2, spread), Map.of());
        Value wide3 = b.node("mul", "wide3", List.of(g3, spread), Map.of());
        for (String mode : List.of("linear", "nearest", "cubic")) {
            for (String padding : List.of("zeros", "border", "reflection")) {
                for (int align = 0; align < 2; align++) {
                    Map<String, Attr> a = attrs(
                            "mode", new Attr.Str(mode),
                            "padding_mode", new Attr.Str(padding),
                            "align_corners", new Attr.Int(align));
                    String name = mode + "_" + padding + "_" + align;
                    b.output(b.node("grid_sample", name, List.of(x2, wide2), a));
                    if (!mode.equals("cubic")) {
                        b.output(b.node("grid_sample", name + "_3d", List.of(x3, wide3), a));
                    }
                }
            }
        }
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 84), 1e-5);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 85), 1e-5);
        }
    }
}
