package fsc.ir.ops;

import static fsc.ir.TestTypes.t;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TestWeights;
import fsc.ir.Value;
import fsc.ir.Verifier;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ShapeValuesTest {
    private static final Dim B = Dim.sym("B");
    private static final Dim S = Dim.sym("S");

    /** The head split of a BERT export: Shape → Gather → Unsqueeze → Concat → Reshape. */
    @Test
    void shapeChainGivesSymbolicReshapeTarget() {
        GraphBuilder b = new GraphBuilder("heads").symbol("B", 8).symbol("S", 512);
        Value x = b.input("x", t("f32[B,S,384]"));
        Value shape = b.node("shape", "/Shape", List.of(x), Map.of());
        Value zero = b.constant("zero", TestWeights.scalar(0));
        Value one = b.constant("one", TestWeights.scalar(1));
        Value axes = b.constant("axes", TestWeights.vector(0));
        Value batch = b.node("gather", "/Gather", List.of(shape, zero), Map.of("axis", Attr.of(0)));
        Value seq = b.node("gather", "/Gather_1", List.of(shape, one), Map.of("axis", Attr.of(0)));
        Value ub = b.node("unsqueeze", "/Unsqueeze", List.of(batch, axes), Map.of());
        Value us = b.node("unsqueeze", "/Unsqueeze_1", List.of(seq, axes), Map.of());
        Value heads = b.constant("heads", TestWeights.vector(12));
        Value size = b.constant("size", TestWeights.vector(32));
        Value target = b.node("concat", "/Concat", List.of(ub, us, heads, size), Map.of("axis", Attr.of(0)));
        Value y = b.node("reshape", "/Reshape", List.of(x, target), Map.of());
        Graph g = b.output(y).build();

        assertEquals(Optional.of(List.of(B, S, Dim.of(384))), b.known().get(shape));
        assertEquals(Optional.of(List.of(S)), b.known().get(seq));
        assertEquals(
                Optional.of(List.of(B, S, Dim.of(12), Dim.of(32))), b.known().get(target));
        assertEquals(t("f32[B,S,12,32]"), y.type());
        Verifier.verify(g);
    }

    /** Exporters guard reshape targets with {@code Where(Equal(shape, -1), ones, shape)}; arithmetic merges dims. */
    @Test
    void equalWhereAndArithmeticOnShapes() {
        GraphBuilder b = new GraphBuilder("guard").symbol("B", 8).symbol("S", 512);
        Value x = b.input("x", t("f32[B,S,384]"));
        Value shape = b.node("shape", "", List.of(x), Map.of());
        Value minusOne = b.constant("m1", TestWeights.scalar(-1));
        Value isMinus = b.node("equal", "", List.of(shape, minusOne), Map.of());
        Value ones = b.constant("ones", TestWeights.vector(1, 1, 1));
        Value guarded = b.node("where", "", List.of(isMinus, ones, shape), Map.of());
        assertEquals(
                Optional.of(List.of(Dim.of(0), Dim.of(0), Dim.of(0))), b.known().get(isMinus));
        assertEquals(Optional.of(List.of(B, S, Dim.of(384))), b.known().get(guarded));

        Value first = b.node(
                "slice",
                "",
                List.of(shape, b.constant("s0", TestWeights.vector(0)), b.constant("e2", TestWeights.vector(2))),
                Map.of());
        assertEquals(Optional.of(List.of(B, S)), b.known().get(first));
        Value tokens = b.node(
                "mul",
                "",
                List.of(
                        b.node("gather", "", List.of(shape, b.constant("i0", TestWeights.scalar(0))), Map.of()),
                        b.node("gather", "", List.of(shape, b.constant("i1", TestWeights.scalar(1))), Map.of())),
                Map.of());
        assertEquals(Optional.of(List.of(B.times(S))), b.known().get(tokens));
        Value half = b.node("div", "", List.of(shape, b.constant("two", TestWeights.scalar(2))), Map.of());
        // B/2 is not a monomial, so the whole result is unknown rather than partly wrong.
        assertEquals(Optional.empty(), b.known().get(half));
        Value perHead = b.node(
                "div",
                "",
                List.of(
                        b.node("gather", "", List.of(shape, b.constant("i2", TestWeights.scalar(2))), Map.of()),
                        b.constant("twelve", TestWeights.scalar(12))),
                Map.of());
        assertEquals(Optional.of(List.of(Dim.of(32))), b.known().get(perHead));
    }

    @Test
    void fromWeightReadsSmallIntegerConstantsOnly() {
        assertEquals(Optional.of(List.of(Dim.of(3), Dim.of(-1))), ShapeValues.fromWeight(TestWeights.vector(3, -1)));
        assertEquals(Optional.empty(), ShapeValues.fromWeight(TestWeights.longs(new long[] {65}, new long[65])));
        assertEquals(Optional.empty(), ShapeValues.fromWeight(TestWeights.floats(new long[] {1}, 1f)));
    }

    @Test
    void comparisonsMinMaxNegExpandRange() {
        GraphBuilder b = new GraphBuilder("cmp").symbol("S", 512);
        Value x = b.input("x", t("f32[1,S]"));
        Value seq = b.node(
                "gather",
                "",
                List.of(b.node("shape", "", List.of(x), Map.of()), b.constant("i1", TestWeights.scalar(1))),
                Map.of());
        Value one = b.constant("one", TestWeights.scalar(1));
        Value zero = b.constant("zero", TestWeights.scalar(0));
        // S is a size, so S >= 1 > 0: max(S, 1) = S, min(S, 0) = 0, S > 0.
        assertEquals(Optional.of(List.of(S)), b.known().get(b.node("max", "", List.of(seq, one), Map.of())));
        assertEquals(Optional.of(List.of(Dim.of(0))), b.known().get(b.node("min", "", List.of(seq, zero), Map.of())));
        assertEquals(
                Optional.of(List.of(Dim.of(1))), b.known().get(b.node("greater", "", List.of(seq, zero), Map.of())));
        Value two = b.constant("two", TestWeights.scalar(2));
        // S against 2 could go either way.
        assertEquals(Optional.empty(), b.known().get(b.node("less", "", List.of(seq, two), Map.of())));
        assertEquals(Optional.of(List.of(Dim.of(-2))), b.known().get(b.node("neg", "", List.of(two), Map.of())));
        Value wide = b.node("expand", "", List.of(seq, b.constant("n3", TestWeights.vector(3))), Map.of());
        assertEquals(Optional.of(List.of(S, S, S)), b.known().get(wide));
        Value r = b.node("range", "", List.of(two, b.constant("eight", TestWeights.scalar(8)), two), Map.of());
        assertEquals(
                Optional.of(List.of(Dim.of(2), Dim.of(4), Dim.of(6))), b.known().get(r));
    }
}
