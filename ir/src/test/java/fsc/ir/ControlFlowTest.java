package fsc.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** If, loop and scan regions: text round trip, the verifier's rules, and the interpreter's semantics. */
class ControlFlowTest {

    static String text() throws IOException {
        try (InputStream in = ControlFlowTest.class.getResourceAsStream("control-flow.fsir")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Map<String, HostTensor> inputs(boolean flag) {
        return Map.of(
                "x", HostTensor.ofFloats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6),
                "a0", HostTensor.ofFloats(new long[] {2}, 1, 10),
                "flag", HostTensor.ofInts(DType.BOOL, new long[0], flag ? 1 : 0));
    }

    @Test
    void printsAndParsesBackTheSameText() throws IOException {
        Graph g = IrParser.parse(text(), "control-flow.fsir");
        Verifier.verify(g);
        String printed = IrPrinter.print(g);
        assertTrue(printed.contains("} {\n"), printed); // the if's two regions, one after the other
        Graph again = IrParser.parse(printed, "printed.fsir", g.weights());
        assertEquals(printed, IrPrinter.print(again));
    }

    @Test
    void interpreterRunsBranchesLoopsAndScans() throws IOException {
        Graph g = IrParser.parse(text(), "control-flow.fsir");
        Map<String, HostTensor> out = new Interpreter(g).run(inputs(true));
        // (a, b) -> (b, a + b) from (a0, a0): Fibonacci multiples of a0; rows hold a before each step.
        assertArrayEquals(new float[] {5, 50}, out.get("fa").toFloatArray());
        assertArrayEquals(new float[] {8, 80}, out.get("fb").toFloatArray());
        assertArrayEquals(
                new float[] {1, 10, 1, 10, 2, 20, 3, 30}, out.get("rows").toFloatArray());
        assertArrayEquals(new float[] {-5, -50}, out.get("picked").toFloatArray());
        // Backwards over rows of x: a0 + x[2], + x[1], + x[0].
        assertArrayEquals(new float[] {10, 22}, out.get("acc").toFloatArray());
        assertArrayEquals(new float[] {6, 16, 9, 20, 10, 22}, out.get("ys").toFloatArray());
        // Over columns: sums per row; the columns written back in reverse order.
        assertArrayEquals(new float[] {3, 7, 11}, out.get("colsum").toFloatArray());
        assertArrayEquals(new float[] {2, 1, 4, 3, 6, 5}, out.get("cols").toFloatArray());
        Map<String, HostTensor> other = new Interpreter(g).run(inputs(false));
        assertArrayEquals(new float[] {8, 80}, other.get("picked").toFloatArray());
    }

    @Test
    void loopThatRunsOtherThanItsScanLengthFails() throws IOException {
        String t = text().replace("%trips: i64[] = const @\"trips\" [4]", "%trips: i64[] = const @\"trips\" [3]");
        Graph g = IrParser.parse(t, "short.fsir");
        FscException e = assertThrows(FscException.class, () -> new Interpreter(g).run(inputs(true)));
        assertTrue(e.getMessage().contains("ran 3 iterations, but its scan outputs have 4 rows"), e.getMessage());
    }

    @Test
    void branchesOfDifferentTypesAreRejected() throws IOException {
        String t = text().replace(
                        "      yield %q2\n",
                        "      %q3: f32[1] = reduce_sum(%q2) {axes = [0], keepdims = 1}\n      yield %q3\n");
        FscException e = assertThrows(FscException.class, () -> IrParser.parse(t, "bad.fsir"));
        assertTrue(e.getMessage().contains("f32[2] in the then branch but f32[1] in the else branch"), e.getMessage());
    }

    @Test
    void loopCarriedValuesKeepTheirType() throws IOException {
        String t = text().replace("yield %c, %b, %s2, %a", "yield %c, %kk, %s2, %a");
        FscException e = assertThrows(FscException.class, () -> IrParser.parse(t, "bad.fsir"));
        assertTrue(
                e.getMessage().contains("loop-carried value 0 enters as f32[2] but the body yields f32[]"),
                e.getMessage());
    }

    @Test
    void scanAxesMustExist() throws IOException {
        String t = text().replace("scan_input_axes = [1]", "scan_input_axes = [2]");
        FscException e = assertThrows(FscException.class, () -> IrParser.parse(t, "bad.fsir"));
        assertTrue(e.getMessage().contains("has no axis 2"), e.getMessage());
    }

    @Test
    void regionsSeeOnlyTheirParameters() throws IOException {
        String t = text().replace("%n: f32[2] = neg(%p)", "%n: f32[2] = neg(%a0)");
        FscException e = assertThrows(FscException.class, () -> IrParser.parse(t, "bad.fsir"));
        assertTrue(e.getMessage().contains("%a0 is not visible here"), e.getMessage());
    }

    @Test
    void verifierRejectsAResultTheRegionDoesNotDefine() throws IOException {
        Graph g = IrParser.parse(text(), "control-flow.fsir");
        Node ifNode =
                g.nodes().stream().filter(n -> n.op().equals("if")).findFirst().orElseThrow();
        Region then = ifNode.regions().getFirst();
        Value stray = new Value("stray", then.results().getFirst().type());
        Region broken = new Region(then.params(), then.nodes(), List.of(stray));
        List<Node> nodes = g.nodes().stream()
                .map(n -> n == ifNode
                        ? n.withRegions(List.of(broken, ifNode.regions().get(1)))
                        : n)
                .toList();
        FscException e = assertThrows(FscException.class, () -> Verifier.verify(g.withNodes(nodes)));
        assertTrue(e.getMessage().contains("yields %stray, which the region does not define"), e.getMessage());
    }

    @Test
    void liftedRegionIsAGraphAndLowersBack() throws IOException {
        Graph g = IrParser.parse(text(), "control-flow.fsir");
        Node loop = g.nodes().getFirst();
        Graph lifted = RegionGraph.lift(g, loop, 0, "body", true);
        // The captured constant k is inlined as a constant; the other parameters are inputs.
        assertEquals(1, lifted.constants().size());
        assertEquals(4, lifted.inputs().size());
        Verifier.verify(lifted);
        RegionGraph.Lowered low = RegionGraph.lower(g, loop, List.of(lifted));
        assertEquals(loop.inputs(), low.node().inputs());
        assertEquals(
                loop.regions().getFirst().params(),
                low.node().regions().getFirst().params());
    }
}
