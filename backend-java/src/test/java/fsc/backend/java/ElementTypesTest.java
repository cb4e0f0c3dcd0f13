package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Float8Values;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.runtime.kernels.Float8;
import fsc.runtime.kernels.SmallFloats;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Element-wise ops and casts over every integer width and the 16-bit floats, read and written
 * through {@link ElemCode}: values sit near the top of each unsigned range, so a sign-extended read
 * or a signed division would show, and f16/bf16 results must round to the same value as the
 * interpreter (double arithmetic, one rounding on store).
 */
class ElementTypesTest {
    @TempDir
    Path dir;

    private static final List<String> ARITHMETIC = List.of("add", "sub", "mul", "div", "max", "min", "mod");
    private static final List<String> COMPARISONS =
            List.of("equal", "less", "less_or_equal", "greater", "greater_or_equal");

    @Test
    void integerOpsOfEveryWidthMatchTheInterpreter() throws Exception {
        GraphBuilder b = new GraphBuilder("ints");
        Map<String, HostTensor> in = new LinkedHashMap<>();
        long[] shape = {7};
        for (DType t : List.of(DType.I8, DType.U8, DType.I16, DType.U16, DType.U32, DType.I32)) {
            Value x = b.input("x_" + t.irName(), type(t, 7));
            Value y = b.input("y_" + t.irName(), type(t, 7));
            boolean unsigned = t.irName().startsWith("u");
            long top = (1L << (t.blockBytes() * 8 - (unsigned ? 0 : 1))) - 1;
            in.put(x.name(), HostTensor.ofInts(t, shape, top, top - 3, 17, unsigned ? 0 : -17, 5, 100, 1));
            in.put(y.name(), HostTensor.ofInts(t, shape, 2, top, 3, unsigned ? 9 : -4, 5, 7, top - 1));
            for (String op : ARITHMETIC) {
                b.output(b.node(op, op + "_" + t.irName(), List.of(x, y), Map.of()));
            }
            for (String op : COMPARISONS) {
                b.output(b.node(op, op + "_" + t.irName(), List.of(x, y), Map.of()));
            }
            b.output(b.node("cast", "to_f32_" + t.irName(), List.of(x), attrs("to", new Attr.Type(DType.F32))));
            b.output(b.node("cast", "to_i64_" + t.irName(), List.of(x), attrs("to", new Attr.Type(DType.I64))));
        }
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(in, 0);
        }
    }

    @Test
    void u64UsesUnsignedDivisionAndComparison() throws Exception {
        GraphBuilder b = new GraphBuilder("u64");
        Value x = b.input("x", type(DType.U64, 3));
        Value y = b.input("y", type(DType.U64, 3));
        b.output(b.node("div", "div", List.of(x, y), Map.of()));
        b.output(b.node("mod", "mod", List.of(x, y), Map.of()));
        b.output(b.node("max", "max", List.of(x, y), Map.of()));
        b.output(b.node("less", "less", List.of(x, y), Map.of()));
        b.output(b.node("cast", "to_f64", List.of(x), attrs("to", new Attr.Type(DType.F64))));
        Graph g = b.build();
        long big = -2L; // 2^64 - 2
        Map<String, HostTensor> in = Map.of(
                "x", HostTensor.ofInts(DType.U64, new long[] {3}, big, 10, 7),
                "y", HostTensor.ofInts(DType.U64, new long[] {3}, 3, big, 7));
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            Map<String, HostTensor> out = h.run(in);
            assertEquals(Long.divideUnsigned(big, 3), out.get("div").getLong(0));
            assertEquals(0, out.get("div").getLong(1));
            assertEquals(Long.remainderUnsigned(big, 3), out.get("mod").getLong(0));
            assertEquals(big, out.get("max").getLong(0));
            assertEquals(big, out.get("max").getLong(1));
            assertEquals(0, out.get("less").getLong(0));
            assertEquals(1, out.get("less").getLong(1));
            assertEquals(0x1p64, out.get("to_f64").getDouble(0));
        }
    }

    @Test
    void halfFloatOpsComputeInFloatAndRoundOnStore() throws Exception {
        GraphBuilder b = new GraphBuilder("halves");
        for (DType t : List.of(DType.F16, DType.BF16)) {
            Value x = b.input("x_" + t.irName(), type(t, 3, 11));
            Value y = b.input("y_" + t.irName(), type(t, 11));
            for (String op : ARITHMETIC.subList(0, 6)) {
                b.output(b.node(op, op + "_" + t.irName(), List.of(x, y), Map.of()));
            }
            b.output(b.node("less", "less_" + t.irName(), List.of(x, y), Map.of()));
            // Same shapes: an f16 add runs the shared HalfElementwise.add (49 halves: three vectors and a tail).
            Value u = b.input("u_" + t.irName(), type(t, 7, 7));
            Value v = b.input("v_" + t.irName(), type(t, 7, 7));
            b.output(b.node("add", "add_same_" + t.irName(), List.of(u, v), Map.of()));
            for (String op : List.of("exp", "abs", "neg", "tanh", "sigmoid")) {
                b.output(b.node(op, op + "_" + t.irName(), List.of(x), Map.of()));
            }
            for (DType to : List.of(DType.F32, DType.F64, DType.F16, DType.BF16, DType.I32, DType.U8)) {
                b.output(b.node(
                        "cast", "cast_" + t.irName() + "_" + to.irName(), List.of(x), attrs("to", new Attr.Type(to))));
            }
        }
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            // One ulp of bf16 is 2^-8 relative; f32 math functions may differ from double in the last float bit.
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 3), 1e-2);
        }
    }

    private static final Map<DType, Float8> FLOAT8 = Map.of(
            DType.F8E4M3FN, Float8.E4M3FN,
            DType.F8E4M3FNUZ, Float8.E4M3FNUZ,
            DType.F8E5M2, Float8.E5M2,
            DType.F8E5M2FNUZ, Float8.E5M2FNUZ);

    @Test
    void compileTimeAndRunTimeFloat8DecodersAgreeOnEveryCode() {
        FLOAT8.forEach((t, f) -> {
            for (int code = 0; code < 256; code++) {
                assertEquals((double) f.decode((byte) code), Float8Values.decode(t, code), t + " code " + code);
            }
        });
        for (int code = 0; code < 256; code++) {
            assertEquals(
                    (double) SmallFloats.f8e8m0ToFloat((byte) code),
                    Float8Values.decode(DType.F8E8M0, code),
                    "e8m0 " + code);
        }
    }

    @Test
    void castsToFloat8RoundAndSaturateAsTheCodec() throws Exception {
        GraphBuilder b = new GraphBuilder("f8");
        Value x = b.input("x", type(DType.F32, 9));
        Value h = b.input("h", type(DType.F16, 9));
        for (DType t : FLOAT8.keySet().stream().sorted().toList()) {
            Value sat = b.node("cast", "sat_" + t.irName(), List.of(x), attrs("to", new Attr.Type(t)));
            b.output(sat);
            b.output(b.node("cast", "back_" + t.irName(), List.of(sat), attrs("to", new Attr.Type(DType.F32))));
            b.output(b.node(
                    "cast",
                    "nosat_" + t.irName(),
                    List.of(x),
                    attrs("to", new Attr.Type(t), "saturate", new Attr.Int(0))));
            b.output(b.node("cast", "half_" + t.irName(), List.of(h), attrs("to", new Attr.Type(t))));
        }
        Graph g = b.build();
        float[] xs = {0f, -0f, 0.3f, -1.0625f, 300f, 1e6f, Float.NEGATIVE_INFINITY, Float.NaN, 0x1p-12f};
        HostTensor xt = HostTensor.zeros(DType.F32, new long[] {9});
        HostTensor ht = HostTensor.zeros(DType.F16, new long[] {9});
        for (int i = 0; i < xs.length; i++) {
            xt.setDouble(i, xs[i]);
            ht.setDouble(i, xs[i]);
        }
        try (ModelHarness h2 = ModelHarness.compile(g, dir, 1)) {
            Map<String, HostTensor> out = h2.run(Map.of("x", xt, "h", ht));
            FLOAT8.forEach((t, f) -> {
                for (int i = 0; i < xs.length; i++) {
                    byte sat = f.encode(xs[i], true);
                    assertEquals(sat, out.get("sat_" + t.irName()).data().get(i), t + " saturating " + xs[i]);
                    assertEquals(
                            f.encode(xs[i], false),
                            out.get("nosat_" + t.irName()).data().get(i));
                    assertEquals(
                            f.encode(Float.float16ToFloat(Float.floatToFloat16(xs[i])), true),
                            out.get("half_" + t.irName()).data().get(i));
                    float back = out.get("back_" + t.irName()).data().getFloat(i * 4);
                    assertEquals(f.decode(sat), back, t + " back from " + xs[i]);
                }
            });
        }
    }

    @Test
    void subByteCastsPackElementsAndRoundTrip() throws Exception {
        GraphBuilder b = new GraphBuilder("nibbles");
        // An odd count: the last byte holds one element and padding.
        Value x = b.input("x", type(DType.F32, 7));
        for (DType t : List.of(DType.I4, DType.U4, DType.F4E2M1, DType.I2, DType.U2)) {
            Value packed = b.node("cast", "to_" + t.irName(), List.of(x), attrs("to", new Attr.Type(t)));
            b.output(packed);
            b.output(b.node("cast", "back_" + t.irName(), List.of(packed), attrs("to", new Attr.Type(DType.F32))));
            b.output(b.node("cast", "i8_" + t.irName(), List.of(packed), attrs("to", new Attr.Type(DType.I8))));
        }
        Graph g = b.build();
        float[] xs = {-9f, -8f, 1.4f, 7f, 15f, 0.25f, -3.5f};
        HostTensor xt = HostTensor.zeros(DType.F32, new long[] {7});
        for (int i = 0; i < xs.length; i++) {
            xt.setDouble(i, xs[i]);
        }
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            Map<String, HostTensor> out = h.run(Map.of("x", xt));
            assertEquals(4, out.get("to_i4").data().remaining());
            assertEquals(2, out.get("to_i2").data().remaining());
            // Integers truncate toward zero and keep the low 4 bits, as ONNX's reference does.
            long[] i4 = {7, -8, 1, 7, -1, 0, -3};
            long[] u4 = {7, 8, 1, 7, 15, 0, 13};
            float[] e2m1 = {-6f, -6f, 1.5f, 6f, 6f, 0f, -4f};
            long[] i2 = {-1, 0, 1, -1, -1, 0, 1};
            long[] u2 = {3, 0, 1, 3, 3, 0, 1};
            for (int i = 0; i < xs.length; i++) {
                assertEquals(i4[i], out.get("to_i4").getLong(i), "i4 " + xs[i]);
                assertEquals((double) i4[i], out.get("back_i4").getDouble(i));
                assertEquals(u4[i], out.get("to_u4").getLong(i), "u4 " + xs[i]);
                assertEquals((double) u4[i], out.get("back_u4").getDouble(i));
                assertEquals((double) e2m1[i], out.get("back_f4e2m1").getDouble(i), "e2m1 " + xs[i]);
                assertEquals((long) e2m1[i], out.get("i8_f4e2m1").getLong(i));
                assertEquals(i2[i], out.get("to_i2").getLong(i), "i2 " + xs[i]);
                assertEquals((double) u2[i], out.get("back_u2").getDouble(i), "u2 " + xs[i]);
            }
        }
    }

    @Test
    void integerSumsAndProductsOfEveryWidthWrapLikeTheInterpreter() throws Exception {
        GraphBuilder b = new GraphBuilder("int_reduce");
        Map<String, HostTensor> in = new LinkedHashMap<>();
        for (DType t : List.of(DType.U8, DType.I8, DType.U16, DType.U32, DType.U64)) {
            Value x = b.input("x_" + t.irName(), type(t, 2, 5));
            // 200 + 100 + ... overflows u8 and i8, so the wrap is exercised.
            in.put(x.name(), HostTensor.ofInts(t, new long[] {2, 5}, 200, 100, 3, 7, 1, 250, 2, 2, 9, 4));
            for (String op : List.of("reduce_sum", "reduce_prod")) {
                b.output(b.node(
                        op,
                        op + "_" + t.irName(),
                        List.of(x),
                        attrs("axes", Attr.ints(1), "keepdims", new Attr.Int(0))));
            }
        }
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(in, 0);
        }
    }
}
