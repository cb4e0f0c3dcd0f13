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
                "big",
                fsc.ir.interp.HostTensor.ofLongs(new long[] {1}, 0x7_0000_0005L).toWeight());
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
