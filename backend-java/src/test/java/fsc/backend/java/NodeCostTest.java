package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The FLOP and byte accounting of {@code fsc profile}, checked against hand counts. */
class NodeCostTest {
    private static final Map<String, Long> BIND = Map.of("S", 7L, "B", 3L);

    private static Node last(Graph g) {
        return g.nodes().getLast();
    }

    /** A strided window's size over a symbolic side costs as its exact quotient, products expanded. */
    @Test
    void floorDivisionDimsCostAsTheirQuotient() {
        fsc.ir.Dim h = fsc.ir.Dim.sym("H");
        fsc.ir.Dim w = fsc.ir.Dim.sym("W");
        // 8 * ceil(H/2) * ceil(W/4): 8 * (H+1)/2 * (W+3)/4 = H*W + 3*H + W + 3.
        Poly p = Poly.of(fsc.ir.Dim.of(8).times(h.ceilDiv(2)).times(w.ceilDiv(4)));
        assertEquals(Map.of("H*W", 1.0, "H", 3.0, "W", 1.0, "", 3.0), p.terms());
        assertEquals(8.0 * 32 * 16, p.evaluate(Map.of("H", 63L, "W", 61L)), 8.0 * 32 + 8.0 * 16);
    }

    @Test
    void matmulIsTwoMnkAndReadsBothOperandsOnce() {
        GraphBuilder b = new GraphBuilder("mm").symbol("S", 64);
        Value x = b.input("x", f32("S", 24));
        Value w = b.constant("w", TestGraphs.randomWeight(1, 24, 8));
        Graph g = b.output(b.node("matmul", "mm", List.of(x, w), Map.of())).build();
        NodeCost.Cost c = NodeCost.of(last(g), false);
        assertEquals(2.0 * 7 * 8 * 24, c.flops().evaluate(BIND));
        assertEquals(4.0 * (7 * 24 + 24 * 8 + 7 * 8), c.bytes().evaluate(BIND));
        assertEquals("[[384, \"S\"]]", c.flops().json()); // 2 * 8 * 24 per row
    }

    @Test
    void int8MatmulIsTwoMnkAndDynamicQuantizeFourPerElement() {
        GraphBuilder b = new GraphBuilder("q8").symbol("S", 64);
        Value x = b.input("x", f32("S", 24));
        Value w = b.input("w", fsc.ir.TensorType.of(DType.I8, 24, 8));
        Value off = b.input("off", fsc.ir.TensorType.of(DType.I32, 8));
        List<Value> q = b.node("dynamic_quantize", "dq", List.of(x), Map.of(), List.of("q", "s", "zp"));
        Graph g = b.output(b.node("matmul_int8", "mm", List.of(q.get(0), q.get(2), w, off), Map.of()))
                .build();
        assertEquals(4.0 * 7 * 24, NodeCost.flops(g.nodes().getFirst()).evaluate(BIND));
        assertEquals(2.0 * 7 * 8 * 24, NodeCost.flops(last(g)).evaluate(BIND));
    }

    @Test
    void convCountsChannelsTimesWindowPerOutput() {
        GraphBuilder b = new GraphBuilder("conv");
        Value x = b.input("x", f32(1, 3, 10, 10));
        Value w = b.constant("w", TestGraphs.randomWeight(2, 4, 3, 3, 3));
        Graph g = b.output(b.node(
                        "conv",
                        "c",
                        List.of(x, w),
                        attrs(
                                "kernel_shape",
                                new Attr.Ints(List.of(3L, 3L)),
                                "strides",
                                new Attr.Ints(List.of(1L, 1L)))))
                .build();
        Node n = last(g);
        long outs = 1L * 4 * 8 * 8; // valid padding: 10 - 3 + 1
        assertEquals(
                List.of(1L, 4L, 8L, 8L),
                n.output().type().dims().stream().map(d -> d.value()).toList());
        assertEquals(2.0 * outs * 3 * 3 * 3, NodeCost.flops(n).evaluate(Map.of()));
    }

    @Test
    void attentionCountsScoresWeightedSumAndSoftmax() {
        GraphBuilder b = new GraphBuilder("att").symbol("S", 64);
        Value q = b.input("q", f32(1, 2, "S", 8));
        Value k = b.input("k", f32(1, 2, "S", 8));
        Value v = b.input("v", f32(1, 2, "S", 8));
        Graph g = b.output(b.node("attention", "a", List.of(q, k, v), Map.of())).build();
        double s = 7;
        double perHead = 2 * s * s * 8 + 2 * s * s * 8 + 5 * s * s;
        assertEquals(2 * perHead, NodeCost.flops(last(g)).evaluate(BIND));
    }

    @Test
    void elementwiseNormsAndMovement() {
        GraphBuilder b = new GraphBuilder("misc").symbol("B", 8);
        Value x = b.input("x", f32("B", 16));
        Value e = b.node("exp", "e", List.of(x), Map.of());
        Value t = b.node("transpose", "t", List.of(e), attrs("perm", new Attr.Ints(List.of(1L, 0L))));
        Value sm = b.node("softmax", "sm", List.of(t), attrs("axis", new Attr.Int(-1)));
        Graph g = b.output(sm).build();
        assertEquals(3.0 * 16, NodeCost.flops(g.nodes().get(0)).evaluate(BIND));
        assertEquals(0.0, NodeCost.flops(g.nodes().get(1)).evaluate(BIND));
        assertEquals(5.0 * 3 * 16, NodeCost.flops(g.nodes().get(2)).evaluate(BIND));
        // A view moves nothing.
        assertEquals(0.0, NodeCost.of(g.nodes().get(1), true).bytes().evaluate(BIND));
    }

    @Test
    void gatherReadsOnlyTheRowsItCopies() {
        GraphBuilder b = new GraphBuilder("emb").symbol("S", 64);
        Value table = b.constant("table", TestGraphs.randomWeight(3, 1000, 16));
        Value ids = b.input("ids", TestGraphs.type(DType.I64, "S"));
        Graph g = b.output(b.node("gather", "g", List.of(table, ids), attrs("axis", new Attr.Int(0))))
                .build();
        NodeCost.Cost c = NodeCost.of(last(g), false);
        assertEquals(0.0, c.flops().evaluate(BIND));
        assertEquals(7.0 * 16 * 4 + 7 * 8 + 7 * 16 * 4, c.bytes().evaluate(BIND));
    }

    @Test
    void reductionsCountInputsAndUnknownOpsHaveUnknownFlops() {
        GraphBuilder b = new GraphBuilder("red");
        Value x = b.input("x", f32(4, 4));
        Graph g = b.output(b.node("argmax", "c", List.of(x), attrs("axis", new Attr.Int(1))))
                .build();
        assertEquals(16.0, NodeCost.flops(last(g)).evaluate(Map.of()));
        assertNull(NodeCost.flops(new Node("not_an_op_here", "", List.of(x), List.of(x), Map.of())));
    }

    @Test
    void tableGivesTheGemmSlotItsEpilogueAndTheIdRanges() {
        Graph g = GeneratedSourceSnapshotTest.layer();
        WeightsLayout weights = WeightsLayout.of(g);
        EpilogueFusion fusion = EpilogueFusion.of(g, weights);
        ArenaSlots plan = ArenaSlots.of(g, JavaBackend.memoryPlan(g), weights.index(), fusion.aliases());
        ModelContext ctx = new ModelContext(g, new DimCode(g.symbols().keySet()), plan, weights, fusion);
        String json = ProfileTable.json(g, ctx);
        assertEquals(3, ProfileTable.slots(g, ctx).size());
        assertTrue(json.contains("\"op\": \"matmul+add+gelu\""), json);
        // matmul 2*S*24*8 + bias add S*8 + gelu S*8 = 400*S.
        assertTrue(json.contains("\"flops\": [[400, \"S\"]]"), json);
        assertTrue(json.contains("\"op\": \"softmax\""), json);
    }
}
