package fsc.ir;

import static fsc.ir.TestTypes.t;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class VerifierTest {
    private static final Map<String, Attr> NONE = Map.of();

    /** x: f32[S,4] → relu → add bias → out. */
    private static Graph valid() {
        GraphBuilder b = new GraphBuilder("g").symbol("S", 16);
        Value x = b.input("x", t("f32[S,4]"));
        Value bias = b.constant("bias", TestWeights.floats(new long[] {4}, 1, 2, 3, 4));
        Value r = b.node("relu", "/Relu", List.of(x), NONE);
        Value y = b.node("add", "/Add", List.of(r, bias), NONE);
        return b.output(y).build();
    }

    private static String fails(Graph g) {
        return assertThrows(FscException.class, () -> Verifier.verify(g)).getMessage();
    }

    @Test
    void acceptsAValidGraph() {
        Verifier.verify(valid());
    }

    @Test
    void reportsUndefinedValues() {
        Graph g = valid();
        Value stray = new Value("stray", t("f32[S,4]"));
        Node add = g.nodes().get(1);
        Graph bad = g.withNodes(List.of(g.nodes().get(0), add.withInputs(List.of(stray, add.input(1)))));
        String m = fails(bad);
        assertTrue(m.contains("node '/Add' (add)") && m.contains("%stray is undefined"), m);
    }

    @Test
    void reportsNodesOutOfOrder() {
        Graph g = valid();
        String m = fails(g.withNodes(List.of(g.nodes().get(1), g.nodes().get(0))));
        assertTrue(m.contains("defined by a later node"), m);
    }

    @Test
    void reportsWrongRecordedType() {
        Graph g = valid();
        Node relu = g.nodes().get(0);
        Value wrong = new Value("r", t("f32[S,5]"));
        Node badRelu = new Node("relu", "/Relu", relu.inputs(), List.of(wrong), relu.attrs());
        Node add = g.nodes().get(1);
        Graph bad = g.withNodes(List.of(badRelu, add.withInputs(List.of(wrong, add.input(1)))));
        String m = fails(bad);
        assertTrue(m.contains("node '/Relu' (relu)") && m.contains("f32[S,5]") && m.contains("f32[S,4]"), m);
    }

    @Test
    void reportsUnknownOp() {
        Graph g = valid();
        Node relu = g.nodes().get(0);
        Node weird = new Node("frobnicate", "/Frob", relu.inputs(), relu.outputs(), relu.attrs());
        String m = fails(g.withNodes(List.of(weird, g.nodes().get(1))));
        assertTrue(m.contains("unknown op 'frobnicate'") && m.contains("/Frob"), m);
    }

    @Test
    void reportsDoubleDefinitionUnboundSymbolsMissingWeightsAndOutputs() {
        Graph g = valid();
        assertTrue(fails(g.withNodes(
                        List.of(g.nodes().get(0), g.nodes().get(0), g.nodes().get(1))))
                .contains("defined twice"));
        Graph noSymbols = new Graph(
                g.name(),
                g.inputs(),
                g.outputs(),
                g.constants(),
                g.nodes(),
                new TreeMap<>(),
                g.weights(),
                g.metadata());
        assertTrue(fails(noSymbols).contains("uses symbol S, which has no bound"));
        Graph noWeights = g.withBody(g.constants(), g.nodes(), g.outputs(), Weights.empty());
        assertTrue(fails(noWeights).contains("missing weight 'bias'"));
        Graph strayOutput =
                g.withBody(g.constants(), g.nodes(), List.of(new Value("nowhere", t("f32[1]"))), g.weights());
        assertTrue(fails(strayOutput).contains("output %nowhere is never defined"));
    }

    @Test
    void reportsUnboundSymbolsInAttributes() {
        GraphBuilder b = new GraphBuilder("g").symbol("S", 16);
        Value x = b.input("x", t("f32[S,4]"));
        Value y = b.node(
                "slice",
                "/Slice",
                List.of(x),
                Map.of("starts", Attr.ints(0), "ends", new Attr.Dims(List.of(Dim.sym("T"))), "axes", Attr.ints(1)));
        String m = fails(b.output(y).build());
        assertTrue(m.contains("node '/Slice' (slice)") && m.contains("symbol T"), m);
    }

    @Test
    void reportsConstantTypeMismatch() {
        Graph g = valid();
        Constant c = g.constants().getFirst();
        Value retyped = new Value("bias", t("f32[5]"));
        Graph bad = g.withBody(List.of(new Constant(retyped, c.weight())), g.nodes(), g.outputs(), g.weights());
        assertTrue(fails(bad).contains("weight 'bias' is f32[4]"));
    }
}
