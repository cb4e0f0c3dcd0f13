package fsc.passes;

import static fsc.passes.TestGraphs.attrs;
import static fsc.passes.TestGraphs.count;
import static fsc.passes.TestGraphs.f32;
import static fsc.passes.TestGraphs.i64;
import static fsc.passes.TestGraphs.i64Scalar;
import static fsc.passes.TestGraphs.none;
import static fsc.passes.TestGraphs.scalar;
import static fsc.passes.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.Verifier;
import fsc.ir.text.IrPrinter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Golden and equivalence tests for {@link FoldPass}; expectations in {@code src/test/resources/fold/}. */
class FoldPassTest {
    private static final Map<String, Long> BINDING = Map.of("B", 2L, "S", 5L);

    private static Graph fold(Graph g) {
        return new FoldPass().run(g, PassContext.defaults());
    }

    /** Runs fold, checks the result verifies, matches its golden file and computes what the input did. */
    private static Graph check(String caseName, Graph input) {
        Graph out = fold(input);
        Verifier.verify(out);
        GoldenFiles.assertGolden("fold", caseName, IrPrinter.print(out));
        Equivalence.assertSameOutputs(input, out, BINDING);
        return out;
    }

    private static GraphBuilder builder() {
        return new GraphBuilder("main").symbol("B", 4).symbol("S", 16);
    }

    /** The attention-head reshape of a BERT export: Shape → Gather → Unsqueeze → Concat → Reshape. */
    @Test
    void reshapeTargetFromShapeArithmeticBecomesAttribute() {
        GraphBuilder b = builder();
        Value x = b.input("x", type(DType.F32, "B", "S", 8));
        Value zero = b.constant("zero", i64Scalar(0));
        Value one = b.constant("one", i64Scalar(1));
        Value axis0 = b.constant("axis0", i64(0));
        Value heads = b.constant("heads", i64(2));
        Value headDim = b.constant("head_dim", i64(4));
        Value shape = b.node("shape", "shape", List.of(x), none());
        Value batch = b.node("gather", "batch", List.of(shape, zero), attrs("axis", Attr.of(0L)));
        Value seq = b.node("gather", "seq", List.of(shape, one), attrs("axis", Attr.of(0L)));
        Value batch1 = b.node("unsqueeze", "batch1", List.of(batch, axis0), none());
        Value seq1 = b.node("unsqueeze", "seq1", List.of(seq, axis0), none());
        Value target = b.node("concat", "target", List.of(batch1, seq1, heads, headDim), attrs("axis", Attr.of(0L)));
        Value y = b.node("reshape", "y", List.of(x, target), none());
        Graph out = check("reshape_shape_chain", b.output(y).build());
        Node reshape = TestGraphs.nodes(out, "reshape").getFirst();
        assertEquals(1, reshape.inputs().size());
        assertEquals("<B, S, 2, 4>", IrPrinter.attr(reshape.attrs().get("shape")));
    }

    @Test
    void constantOperandsAreEvaluated() {
        GraphBuilder b = builder();
        Value x = b.input("x", type(DType.F32, 2, 3));
        Value a = b.constant("a", f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6));
        Value c = b.constant("c", f32(new long[] {3}, 10, 20, 30));
        Value sum = b.node("add", "sum", List.of(a, c), none());
        Value scaled = b.node("mul", "scaled", List.of(sum, b.constant("half", scalar(0.5f))), none());
        Value y = b.node("mul", "y", List.of(x, scaled), none());
        Graph out = check("constant_arithmetic", b.output(y).build());
        assertEquals(List.of("mul"), out.nodes().stream().map(Node::op).toList());
        assertTrue(out.weights().contains("fold.scaled"));
    }

    @Test
    void shapeOfStaticTensorBecomesConstant() {
        GraphBuilder b = builder();
        Value x = b.input("x", type(DType.F32, 2, 3));
        Value flat = b.input("flat", type(DType.F32, 6));
        Value shape = b.node("shape", "shape", List.of(x), none());
        Value y = b.node("reshape", "y", List.of(flat, shape), none());
        Graph out = check("static_shape", b.output(y).build());
        assertEquals(0, count(out, "shape"));
        assertEquals(1, TestGraphs.nodes(out, "reshape").getFirst().inputs().size());
    }

    /**
     * ConvInteger's lowering (conv of a centred u8 input by centred integer weights, cast to i32) read
     * back as f32: the round trip goes, since every conv output is an integer far below 2^30; with a
     * weight that is not an integer, or a sum that could reach 2^30, it stays.
     */
    @Test
    void integerConvRoundTripToF32Disappears() {
        for (float w0 : new float[] {-3f, 0.5f, 3e6f}) {
            GraphBuilder b = builder();
            Value x = b.input("x", type(DType.U8, 1, 2, 5, 5));
            Value xf = b.node("cast", "x_f32", List.of(x), attrs("to", new Attr.Type(DType.F32)));
            Value centred = b.node("sub", "x_centred", List.of(xf, b.constant("zp", scalar(128))), none());
            float[] weights = new float[3 * 2 * 3 * 3];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = i % 7 - 3;
            }
            weights[0] = w0;
            Value w = b.constant("w", f32(new long[] {3, 2, 3, 3}, weights));
            Value acc = b.node("conv", "acc", List.of(centred, w), attrs("pads", Attr.ints(1, 1, 1, 1)));
            Value i32 = b.node("cast", "acc_i32", List.of(acc), attrs("to", new Attr.Type(DType.I32)));
            Value back = b.node("cast", "acc_f32", List.of(i32), attrs("to", new Attr.Type(DType.F32)));
            Value y = b.node("mul", "y", List.of(back, b.constant("scale", scalar(0.25f))), none());
            Graph in = b.output(y).build();
            Graph out = fold(in);
            Verifier.verify(out);
            boolean roundTrip = out.nodes().stream()
                    .anyMatch(n -> n.op().equals("cast") && n.input(0).dtype() == DType.I32);
            assertEquals(w0 != -3f, roundTrip, "w0 = " + w0);
            Equivalence.assertSameOutputs(in, out, BINDING);
        }
    }

    @Test
    void identitiesDisappear() {
        GraphBuilder b = builder();
        Value x = b.input("x", type(DType.F32, "B", 8));
        Value x3 = b.input("x3", type(DType.F32, "B", "S", 4));
        Value id = b.node("identity", "id", List.of(x), none());
        Value cast = b.node("cast", "cast", List.of(id), attrs("to", new Attr.Type(DType.F32)));
        Value times1 = b.node(
                "mul",
                "times1",
                List.of(cast, b.constant("ones", f32(new long[] {8}, 1, 1, 1, 1, 1, 1, 1, 1))),
                none());
        Value plus0 = b.node("add", "plus0", List.of(b.constant("zero", scalar(0)), times1), none());
        Value t1 = b.node("transpose", "t1", List.of(plus0), attrs("perm", Attr.ints(1, 0)));
        Value t2 = b.node("transpose", "t2", List.of(t1), attrs("perm", Attr.ints(1, 0)));
        Value same = b.node("reshape", "same", List.of(t2, b.constant("keep", i64(0, 8))), none());
        Value y = b.node("tanh", "y", List.of(same), none());
        // Not identities: the constant is 2, and broadcasting grows [8] to [B,8].
        Value times2 = b.node("mul", "times2", List.of(x, b.constant("twos", f32(new long[] {1}, 2))), none());
        Value grown = b.node(
                "add",
                "grown",
                List.of(b.input("row", type(DType.F32, 8)), b.constant("zeros", f32(new long[] {1, 1}, 0))),
                none());
        // Two transposes compose into one: [0,2,1] then [2,0,1] reads x3 as [1,0,2].
        Value u1 = b.node("transpose", "u1", List.of(x3), attrs("perm", Attr.ints(0, 2, 1)));
        Value u2 = b.node("transpose", "u2", List.of(u1), attrs("perm", Attr.ints(2, 0, 1)));
        // A graph output keeps its name, so this identity stays.
        Value kept = b.node("identity", "kept", List.of(x), none());
        Graph in =
                b.output(y).output(times2).output(grown).output(u2).output(kept).build();
        Graph out = check("identities", in);
        Node tanh = TestGraphs.nodes(out, "tanh").getFirst();
        assertSame(x, tanh.input(0));
        Node composed = out.nodes().stream()
                .filter(n -> n.name().equals("u2"))
                .findFirst()
                .orElseThrow();
        assertSame(x3, composed.input(0));
        assertEquals(List.of(1L, 0L, 2L), ((Attr.Ints) composed.attrs().get("perm")).values());
    }

    @Test
    void operandFormsBecomeAttributes() {
        GraphBuilder b = builder();
        Value x = b.input("x", type(DType.F32, "B", "S", 8));
        Value mask = b.input("mask", type(DType.I64, "B", "S"));
        Value table = b.input("table", type(DType.F32, 16, 8));
        Value row = b.input("row", type(DType.F32, 1, 8));
        Value shape = b.node("shape", "shape", List.of(x), none());
        Value seq =
                b.node("gather", "seq", List.of(shape, b.constant("one", i64Scalar(1))), attrs("axis", Attr.of(0L)));
        Value seq1 = b.node("unsqueeze", "seq1", List.of(seq, b.constant("axis0", i64(0))), none());
        Value wide = b.node("unsqueeze", "wide", List.of(mask, b.constant("axis1", i64(1))), none());
        Value narrow = b.node("squeeze", "narrow", List.of(wide, b.constant("axis1b", i64(1))), none());
        Value positions = b.node(
                "slice",
                "positions",
                List.of(table, b.constant("start0", i64(0)), seq1, b.constant("axes0", i64(0))),
                none());
        Value strided = b.node(
                "slice",
                "strided",
                List.of(
                        x,
                        b.constant("s2", i64(1)),
                        b.constant("e8", i64(8)),
                        b.constant("a2", i64(2)),
                        b.constant("st2", i64(3))),
                none());
        Value mean = b.node("reduce_mean", "mean", List.of(x, b.constant("last", i64(-1))), none());
        Value total = b.node(
                "reduce_sum",
                "total",
                List.of(x, b.constant("no_axes", TestGraphs.i64())),
                attrs("keepdims", Attr.of(0L)));
        Value expanded = b.node("expand", "expanded", List.of(row, shape), none());
        Value filled = b.node(
                "constant_of_shape",
                "filled",
                List.of(shape),
                attrs("value", Attr.of(1.5), "dtype", new Attr.Type(DType.F32)));
        Graph in = b.output(narrow)
                .output(positions)
                .output(strided)
                .output(mean)
                .output(total)
                .output(expanded)
                .output(filled)
                .build();
        Graph out = check("operand_forms", in);
        for (String op :
                List.of("squeeze", "unsqueeze", "slice", "reduce_mean", "reduce_sum", "expand", "constant_of_shape")) {
            for (Node n : TestGraphs.nodes(out, op)) {
                assertEquals(op.equals("constant_of_shape") ? 0 : 1, n.inputs().size(), n.where() + " kept operands");
            }
        }
    }

    @Test
    void largeResultsAreNotEvaluated() {
        GraphBuilder b = builder();
        Value w = b.constant("w", TestGraphs.random(7, 4, 8));
        Value t = b.node("transpose", "t", List.of(w), attrs("perm", Attr.ints(1, 0)));
        Graph in = b.output(b.node("relu", "y", List.of(t), none())).build();
        Graph capped = new FoldPass().run(in, PassContext.of(Map.of(FoldPass.MAX_ELEMENTS_OPTION, "31"), d -> {}));
        assertSame(in, capped, "a 32-element result exceeds the cap of 31, so nothing changes");
        Graph folded = fold(in);
        assertEquals(0, folded.nodes().size(), "transpose and relu of a constant both fold");
        Equivalence.assertSameOutputs(in, folded, BINDING);
    }

    @Test
    void malformedOptionIsAUserErrorNamingIt() {
        GraphBuilder b = builder();
        Graph in = b.output(b.node("relu", "y", List.of(b.input("x", type(DType.F32, 2))), none()))
                .build();
        PassContext ctx = PassContext.of(Map.of(FoldPass.MAX_ELEMENTS_OPTION, "lots"), d -> {});
        FscException e = assertThrows(FscException.class, () -> new FoldPass().run(in, ctx));
        assertEquals("pass option fold.max-elements=lots is not an integer", e.getMessage());
    }

    @Test
    void unchangedGraphIsReturnedAsIs() {
        GraphBuilder b = builder();
        Value x = b.input("x", type(DType.F32, "B", 8));
        Graph in = b.output(b.node("relu", "y", List.of(x), none())).build();
        assertSame(in, fold(in));
    }
}
