package fsc.ir.ops;

import static fsc.ir.TestTypes.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.TensorType;
import fsc.ir.TestTypes;
import fsc.ir.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShapeRulesTest {
    private final KnownValues known = new KnownValues();

    static Value v(String type) {
        return new Value("x", t(type));
    }

    private Value known(String type, String... contents) {
        Value v = v(type);
        known.put(v, java.util.Arrays.stream(contents).map(TestTypes::dim).toList());
        return v;
    }

    private TensorType infer(String op, List<Value> in, Map<String, Attr> attrs) {
        List<TensorType> out = Ops.infer(op, "node 'n' (" + op + ")", in, attrs, known);
        assertEquals(1, out.size());
        return out.getFirst();
    }

    private TensorType infer(String op, Value... in) {
        return infer(op, List.of(in), Map.of());
    }

    @Test
    void broadcastingAlignsOnTheRightAndStretchesOnes() {
        assertEquals(t("f32[B,S,384]"), infer("add", v("f32[B,S,384]"), v("f32[384]")));
        assertEquals(t("f32[B,12,S,S]"), infer("add", v("f32[B,12,S,S]"), v("f32[B,1,1,S]")));
        assertEquals(t("f32[4,3]"), infer("mul", v("f32[4,1]"), v("f32[1,3]")));
        assertEquals(t("bool[B,S]"), infer("less", v("i64[B,S]"), v("i64[]")));
    }

    @Test
    void broadcastMismatchNamesBothShapes() {
        FscException e = assertThrows(FscException.class, () -> infer("add", v("f32[B,S,384]"), v("f32[S,383]")));
        assertTrue(e.getMessage().contains("[B,S,384]") && e.getMessage().contains("[S,383]"), e.getMessage());
        assertTrue(e.getMessage().startsWith("node 'n' (add)"), e.getMessage());
        // A symbolic dimension is not provably equal to a number.
        assertThrows(FscException.class, () -> infer("add", v("f32[S]"), v("f32[512]")));
        assertThrows(FscException.class, () -> infer("add", v("f32[4]"), v("i64[4]")));
    }

    /** Symbolic image sizes through strided windows, and the pyramid joins that take them as equal. */
    @Test
    void windowsOverSymbolicSizesGiveFloorDivisions() {
        Dim h = Dim.sym("H");
        Dim w = Dim.sym("W");
        Value x = new Value("x", new TensorType(DType.F32, List.of(Dim.of(1), Dim.of(3), h, w)));
        Value k = new Value("w", t("f32[8,3,3,3]"));
        TensorType y = infer("conv", List.of(x, k), Map.of("strides", Attr.ints(2, 2), "pads", Attr.ints(1, 1, 1, 1)));
        assertEquals(List.of(Dim.of(1), Dim.of(8), h.ceilDiv(2), w.ceilDiv(2)), y.dims());
        TensorType pooled =
                infer("max_pool", List.of(x), Map.of("kernel_shape", Attr.ints(2, 2), "strides", Attr.ints(2, 2)));
        assertEquals(h.floorDiv(2), pooled.dim(2));
        // Pads that depend on the size, and ceil_mode's size test, need numbers.
        assertThrows(
                FscException.class,
                () -> infer(
                        "max_pool",
                        List.of(x),
                        Map.of(
                                "kernel_shape",
                                Attr.ints(3, 3),
                                "strides",
                                Attr.ints(2, 2),
                                "auto_pad",
                                new Attr.Str("SAME_UPPER"))));
        assertThrows(
                FscException.class,
                () -> infer(
                        "max_pool",
                        List.of(x),
                        Map.of(
                                "kernel_shape",
                                Attr.ints(2, 2),
                                "strides",
                                Attr.ints(2, 2),
                                "ceil_mode",
                                new Attr.Int(1))));
        // A feature pyramid: an upsampled coarse level joins a finer one; the shorter dim is kept.
        Dim coarse = Dim.of(2).times(h.ceilDiv(32));
        Dim fine = h.ceilDiv(16);
        Value a = new Value("a", new TensorType(DType.F32, List.of(Dim.of(1), Dim.of(4), coarse)));
        Value b = new Value("b", new TensorType(DType.F32, List.of(Dim.of(1), Dim.of(4), fine)));
        Dim kept = infer("add", a, b).dim(2);
        assertTrue(kept.equals(coarse) || kept.equals(fine), kept.toString());
        assertEquals(kept, infer("add", b, a).dim(2));
        assertEquals(
                Dim.of(8),
                infer("concat", List.of(a, b), Map.of("axis", new Attr.Int(1))).dim(1));
        // Plain symbols are never taken as equal.
        assertThrows(FscException.class, () -> infer("add", v("f32[H]"), v("f32[W]")));
    }

    @Test
    void reshapeInfersMinusOneAndCopiesZeros() {
        Value x = v("f32[B,S,384]");
        Value shape = known("i64[4]", "0", "0", "12", "-1");
        assertEquals(t("f32[B,S,12,32]"), infer("reshape", x, shape));
        Value flat = known("i64[2]", "-1", "384");
        assertEquals(t("f32[B*S,384]"), infer("reshape", x, flat));
        Value back = known("i64[3]", "B", "S", "384");
        assertEquals(t("f32[B,S,384]"), infer("reshape", v("f32[B*S,384]"), back));
        assertEquals(
                t("f32[B,S,12,32]"),
                infer(
                        "reshape",
                        List.of(x),
                        Map.of("shape", new Attr.Dims(t("f32[B,S,12,32]").dims()))));
    }

    @Test
    void reshapeRejectsWrongElementCount() {
        Value shape = known("i64[2]", "-1", "5");
        FscException e = assertThrows(FscException.class, () -> infer("reshape", v("f32[4,3]"), shape));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
        Value fixed = known("i64[2]", "2", "5");
        assertThrows(FscException.class, () -> infer("reshape", v("f32[4,3]"), fixed));
    }

    @Test
    void runTimeOperandSaysHowToBindIt() {
        Value shape = new Value("/encoder/Concat_output_0", t("i64[3]"));
        FscException e = assertThrows(FscException.class, () -> infer("reshape", v("f32[4,3]"), shape));
        assertTrue(e.getMessage().contains("computed at run time"), e.getMessage());
        assertTrue(e.oneLine().contains("--bind /encoder/Concat_output_0=FILE"), e.oneLine());
    }

    @Test
    void sliceClampsLikeOnnx() {
        Value x = v("f32[10,8]");
        // ends beyond the dim clamp; negative start counts from the end; step 2 rounds up.
        assertEquals(
                t("f32[3,8]"), infer("slice", x, known("i64[1]", "-3"), known("i64[1]", "1000"), known("i64[1]", "0")));
        assertEquals(
                t("f32[10,4]"),
                infer(
                        "slice",
                        x,
                        known("i64[1]", "0"),
                        known("i64[1]", "8"),
                        known("i64[1]", "1"),
                        known("i64[1]", "2")));
        // negative step: from 9 down to (not including) 2.
        assertEquals(
                t("f32[4,8]"),
                infer(
                        "slice",
                        x,
                        known("i64[1]", "9"),
                        known("i64[1]", "2"),
                        known("i64[1]", "0"),
                        known("i64[1]", "-2")));
        assertEquals(t("f32[0,8]"), infer("slice", x, known("i64[1]", "5"), known("i64[1]", "2")));
    }

    @Test
    void sliceWithSymbolicEndsOnFixedAndSymbolicDims() {
        Value pos = v("i64[1,512]");
        assertEquals(
                t("i64[1,S]"), infer("slice", pos, known("i64[1]", "0"), known("i64[1]", "S"), known("i64[1]", "1")));
        Value x = v("f32[B,S,384]");
        assertEquals(
                t("f32[B,S,384]"),
                infer("slice", x, known("i64[1]", "0"), known("i64[1]", "9223372036854775807"), known("i64[1]", "1")));
        assertEquals(
                t("f32[B,S,384]"),
                infer(
                        "slice",
                        List.of(x),
                        Map.of(
                                "starts",
                                Attr.ints(0),
                                "ends",
                                new Attr.Dims(List.of(Dim.sym("S"))),
                                "axes",
                                Attr.ints(1))));
        assertEquals(
                t("i64[1,S]"), infer("slice", pos, known("i64[1]", "S"), known("i64[1]", "2*S"), known("i64[1]", "1")));
        // [0:-1] of S (axes = [1]) is S-1, S being at least 1; [0:-2] could clamp when S is 1, which a dim cannot say.
        assertEquals(
                t("f32[B,S-1,384]"),
                infer("slice", x, known("i64[1]", "0"), known("i64[1]", "-1"), known("i64[1]", "1")));
        FscException e = assertThrows(
                FscException.class,
                () -> infer("slice", x, known("i64[1]", "0"), known("i64[1]", "-2"), known("i64[1]", "1")));
        assertTrue(e.getMessage().contains("slice"), e.getMessage());
        // A past cache: [P:P+S] of a fixed table is S long, [-1:] of S is one element.
        assertEquals(
                t("f32[S,8]"),
                infer("slice", v("f32[1024,8]"), known("i64[1]", "P"), known("i64[1]", "P+S"), known("i64[1]", "0")));
        assertEquals(
                t("f32[1,8]"),
                infer(
                        "slice",
                        v("f32[S,8]"),
                        known("i64[1]", "-1"),
                        known("i64[1]", "9223372036854775807"),
                        known("i64[1]", "0")));
    }

    @Test
    void matmulBroadcastsBatchDimsAndPromotesVectors() {
        assertEquals(t("f32[B,12,S,S]"), infer("matmul", v("f32[B,12,S,32]"), v("f32[B,12,32,S]")));
        assertEquals(t("f32[B,S,1536]"), infer("matmul", v("f32[B,S,384]"), v("f32[384,1536]")));
        assertEquals(t("f32[5,2,3,7]"), infer("matmul", v("f32[1,2,3,4]"), v("f32[5,1,4,7]")));
        assertEquals(t("f32[3]"), infer("matmul", v("f32[3,4]"), v("f32[4]")));
        assertEquals(t("f32[2,7]"), infer("matmul", v("f32[4]"), v("f32[2,4,7]")));
        assertThrows(FscException.class, () -> infer("matmul", v("f32[3,4]"), v("f32[5,7]")));
    }

    @Test
    void gemmTransposesAndChecksBias() {
        Map<String, Attr> tb = Map.of("trans_b", Attr.of(1));
        assertEquals(t("f32[B,10]"), infer("gemm", List.of(v("f32[B,64]"), v("f32[10,64]"), v("f32[10]")), tb));
        assertThrows(
                FscException.class, () -> infer("gemm", List.of(v("f32[B,64]"), v("f32[10,64]"), v("f32[11]")), tb));
    }

    @Test
    void gatherTransposeConcat() {
        assertEquals(t("f32[B,S,384]"), infer("gather", v("f32[30522,384]"), v("i64[B,S]")));
        assertEquals(t("f32[3]"), infer("gather", List.of(v("f32[3,5]"), v("i64[]")), Map.of("axis", Attr.of(-1))));
        assertEquals(
                t("f32[B,12,S,32]"),
                infer("transpose", List.of(v("f32[B,S,12,32]")), Map.of("perm", Attr.ints(0, 2, 1, 3))));
        assertEquals(t("f32[3,2]"), infer("transpose", v("f32[2,3]")));
        assertEquals(
                t("f32[B,2*S]"), infer("concat", List.of(v("f32[B,S]"), v("f32[B,S]")), Map.of("axis", Attr.of(1))));
        assertEquals(
                t("f32[5,B]"), infer("concat", List.of(v("f32[2,B]"), v("f32[3,B]")), Map.of("axis", Attr.of(-2))));
        // A past cache and new tokens: the concatenated length is the sum P+S.
        assertEquals(
                t("f32[B,P+S]"), infer("concat", List.of(v("f32[B,P]"), v("f32[B,S]")), Map.of("axis", Attr.of(1))));
        assertEquals(
                t("f32[B,P+S+1]"),
                infer("concat", List.of(v("f32[B,P]"), v("f32[B,1]"), v("f32[B,S]")), Map.of("axis", Attr.of(1))));
    }

    @Test
    void squeezeAndUnsqueezeWithNegativeAxes() {
        assertEquals(t("i64[B,1,1,S]"), infer("unsqueeze", v("i64[B,S]"), known("i64[2]", "1", "-2")));
        assertEquals(t("i64[1,S]"), infer("unsqueeze", List.of(v("i64[S]")), Map.of("axes", Attr.ints(0))));
        assertEquals(t("f32[B,S]"), infer("squeeze", v("f32[B,1,S,1]"), known("i64[2]", "-1", "1")));
        assertEquals(t("f32[B,S]"), infer("squeeze", v("f32[1,B,S,1]")));
        assertThrows(FscException.class, () -> infer("squeeze", v("f32[B,S]"), known("i64[1]", "1")));
    }

    @Test
    void reductionsKeepOrDropAxes() {
        Value x = v("f32[B,S,384]");
        assertEquals(t("f32[B,S,1]"), infer("reduce_mean", List.of(x), Map.of("axes", Attr.ints(-1))));
        assertEquals(
                t("f32[B,384]"), infer("reduce_sum", List.of(x, known("i64[1]", "1")), Map.of("keepdims", Attr.of(0))));
        assertEquals(t("f32[1,1,1]"), infer("reduce_max", x));
        assertEquals(t("f32[B,S,384]"), infer("reduce_min", List.of(x), Map.of("noop_with_empty_axes", Attr.of(1))));
    }

    @Test
    void castShapeExpandConstantOfShapeWhereLayerNorm() {
        assertEquals(t("f32[B,S]"), infer("cast", List.of(v("i64[B,S]")), Map.of("to", new Attr.Type(DType.F32))));
        assertEquals(t("i64[2]"), infer("shape", List.of(v("f32[B,S,384]")), Map.of("start", Attr.of(-2))));
        assertEquals(t("i64[3]"), infer("shape", v("f32[B,S,384]")));
        assertEquals(t("f32[B,S,384]"), infer("expand", v("f32[1,1,384]"), known("i64[3]", "B", "S", "1")));
        assertEquals(t("f32[4,3]"), infer("expand", List.of(v("f32[3]")), Map.of("shape", Attr.ints(4, 1))));
        assertEquals(
                t("i64[B,S]"),
                infer(
                        "constant_of_shape",
                        List.of(known("i64[2]", "B", "S")),
                        Map.of("dtype", new Attr.Type(DType.I64))));
        assertEquals(t("f32[2,3]"), infer("constant_of_shape", List.of(), Map.of("shape", Attr.ints(2, 3))));
        assertEquals(t("f32[B,S,S]"), infer("where", v("bool[B,1,S]"), v("f32[S,S]"), v("f32[]")));
        assertEquals(
                t("f32[B,S,384]"),
                infer("layer_norm", List.of(v("f32[B,S,384]"), v("f32[384]"), v("f32[384]")), Map.of()));
        assertThrows(
                FscException.class, () -> infer("layer_norm", List.of(v("f32[B,S,384]"), v("f32[S,384]")), Map.of()));
    }

    @Test
    void unknownOpsAndWrongArity() {
        FscException e = assertThrows(FscException.class, () -> Ops.get("frobnicate"));
        assertEquals("unknown op 'frobnicate'", e.getMessage());
        assertThrows(FscException.class, () -> infer("add", v("f32[2]")));
        FscException arity = assertThrows(FscException.class, () -> infer("relu", v("f32[2]"), v("f32[2]")));
        assertTrue(arity.getMessage().contains("takes 1 input, got 2"), arity.getMessage());
    }

    @Test
    void registryIsSortedAndComplete() {
        List<String> names = Ops.all().stream().map(OpDef::name).toList();
        assertEquals(names.stream().sorted().toList(), names);
        for (String op : List.of(
                "add",
                "where",
                "gelu",
                "cast",
                "gather",
                "matmul",
                "gemm",
                "reduce_l2",
                "softmax",
                "log_softmax",
                "transpose",
                "reshape",
                "expand",
                "unsqueeze",
                "squeeze",
                "concat",
                "slice",
                "shape",
                "constant_of_shape",
                "layer_norm",
                "xor",
                "cos")) {
            assertTrue(Ops.exists(op), op);
        }
    }
}
