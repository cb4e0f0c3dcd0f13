package fsc.passes;

import static fsc.passes.TestGraphs.attrs;
import static fsc.passes.TestGraphs.count;
import static fsc.passes.TestGraphs.i64;
import static fsc.passes.TestGraphs.none;
import static fsc.passes.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.Verifier;
import fsc.ir.text.IrPrinter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Golden and equivalence tests for {@link CsePass}; expectations in {@code src/test/resources/cse/}. */
class CsePassTest {
    private static final Map<String, Long> BINDING = Map.of("B", 2L, "S", 3L);

    /** Two layers of a MiniLM export each compute shape(%x) and gather the batch size from it. */
    @Test
    void mergesRepeatedShapeChainsAndEqualConstants() {
        GraphBuilder b = new GraphBuilder("main").symbol("B", 4).symbol("S", 8);
        Value x = b.input("x", type(DType.F32, "B", "S", 4));
        Value y = b.input("y", type(DType.F32, "B", "S", 4));
        Value batches = null;
        for (int layer = 0; layer < 2; layer++) {
            Value shape = b.node("shape", "shape" + layer, List.of(x), none());
            // Equal contents under different weight names, as an exporter writes them per layer.
            Value zero = b.constant("zero" + layer, i64(0));
            Value batch = b.node("gather", "batch" + layer, List.of(shape, zero), attrs("axis", Attr.of(0L)));
            batches = batches == null ? batch : b.node("add", "sum", List.of(batches, batch), none());
        }
        // Same op and inputs but different attributes: not merged.
        Value s0 = b.node("softmax", "soft_last", List.of(x), attrs("axis", Attr.of(-1L)));
        Value s1 = b.node("softmax", "soft_first", List.of(x), attrs("axis", Attr.of(0L)));
        // Same op, different operand order: not merged (sub does not commute).
        Value d0 = b.node("sub", "d0", List.of(x, y), none());
        Value d1 = b.node("sub", "d1", List.of(y, x), none());
        // A duplicate that is a graph output keeps its name, so it stays.
        Value r0 = b.node("relu", "r0", List.of(x), none());
        Value r1 = b.node("relu", "r1", List.of(x), none());
        Value both = b.node("add", "both", List.of(b.node("add", "s01", List.of(s0, s1), none()), d0), none());
        Value all = b.node("add", "all", List.of(both, d1), none());
        Value total = b.node("add", "total", List.of(all, r0), none());
        Graph in = b.output(batches).output(total).output(r1).build();
        Graph out = new CsePass().run(in, PassContext.defaults());
        Verifier.verify(out);
        GoldenFiles.assertGolden("cse", "shape_chains", IrPrinter.print(out));
        Equivalence.assertSameOutputs(in, out, BINDING);
        assertEquals(1, count(out, "shape"));
        assertEquals(2, count(out, "relu"));
        assertEquals(2, count(out, "softmax"));
        assertEquals(2, count(out, "sub"));
        Node sum = out.nodes().stream()
                .filter(n -> n.name().equals("sum"))
                .findFirst()
                .orElseThrow();
        assertSame(sum.input(0), sum.input(1), "both gathers read one shape and one zero");
    }

    @Test
    void graphWithoutDuplicatesIsReturnedAsIs() {
        GraphBuilder b = new GraphBuilder("main");
        Value x = b.input("x", type(DType.F32, 2));
        Graph in = b.output(b.node("relu", "y", List.of(x), none())).build();
        assertSame(in, new CsePass().run(in, PassContext.defaults()));
    }
}
