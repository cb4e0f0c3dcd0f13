package fsc.passes;

import static fsc.passes.TestGraphs.attrs;
import static fsc.passes.TestGraphs.i64;
import static fsc.passes.TestGraphs.none;
import static fsc.passes.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.Verifier;
import fsc.ir.WeightData;
import fsc.ir.text.IrPrinter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Golden and equivalence tests for {@link DcePass}; expectations in {@code src/test/resources/dce/}. */
class DcePassTest {
    private static final Map<String, Long> BINDING = Map.of("B", 3L);

    @Test
    void removesWhatNoOutputNeeds() {
        GraphBuilder b = new GraphBuilder("main").symbol("B", 4);
        Value x = b.input("x", type(DType.F32, "B", 4));
        Value unusedInput = b.input("unused_input", type(DType.F32, 2));
        Value w = b.constant("w", TestGraphs.random(1, 4, 4));
        // Two constants share one weight; only one is used, so the weight stays.
        WeightData sharedData = TestGraphs.random(2, 4);
        Value shared1 = b.constant("shared1", "shared", sharedData);
        b.constant("shared2", "shared", sharedData);
        b.constant("unused", TestGraphs.random(3, 4));
        Value shape = b.node("shape", "shape", List.of(x), none());
        b.node("gather", "dead_gather", List.of(shape, b.constant("zero", i64(0))), attrs("axis", Attr.of(0L)));
        Value mm = b.node("matmul", "mm", List.of(x, w), none());
        Value y = b.node("add", "y", List.of(mm, shared1), none());
        b.node("relu", "dead_relu", List.of(unusedInput), none());
        Graph in = b.output(y).build();
        Graph out = new DcePass().run(in, PassContext.defaults());
        Verifier.verify(out);
        GoldenFiles.assertGolden("dce", "dead_chain", IrPrinter.print(out));
        Equivalence.assertSameOutputs(in, out, BINDING);
        assertEquals(
                List.of("matmul", "add"), out.nodes().stream().map(n -> n.op()).toList());
        assertEquals(List.of("shared", "w"), List.copyOf(out.weights().byName().keySet()));
        assertEquals(2, out.inputs().size(), "inputs are the calling convention and stay");
    }

    @Test
    void graphWithoutDeadCodeIsReturnedAsIs() {
        GraphBuilder b = new GraphBuilder("main");
        Value x = b.input("x", type(DType.F32, 2));
        Graph in = b.output(b.node("relu", "y", List.of(x), none())).build();
        assertSame(in, new DcePass().run(in, PassContext.defaults()));
    }
}
