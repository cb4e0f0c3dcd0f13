package fsc.ir.text;

import static fsc.ir.TestTypes.t;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TestWeights;
import fsc.ir.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IrPrinterTest {

    private static Graph tiny() {
        GraphBuilder b = new GraphBuilder("main")
                .symbol("S", 512)
                .symbol("B", 64)
                .metadata("source", "tiny.onnx")
                .metadata("sha256", "ab12");
        Value ids = b.input("input_ids", t("i64[B,S]"));
        Value emb = b.constant(
                "tok_emb",
                "embeddings.word_embeddings.weight",
                TestWeights.floats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6));
        Value g = b.node("gather", "/embeddings/Gather", List.of(emb, ids), Map.of("axis", Attr.of(0)));
        // Two values whose hints sanitise to the same name get distinct printed names.
        Value n1 = b.node(
                "layer_norm",
                "/ln",
                List.of(g, b.constant("w", TestWeights.floats(new long[] {2}, 1, 1))),
                Map.of("epsilon", Attr.of(1e-12), "axis", Attr.of(-1)));
        Value n2 = b.node("gelu", "", List.of(n1), Map.of("approximate", Attr.of("tanh")), List.of("ln"))
                .getFirst();
        Value r = b.node(
                "reshape",
                "/Reshape",
                List.of(n2),
                Map.of("shape", new Attr.Dims(List.of(Dim.sym("B").times(Dim.sym("S")), Dim.of(2)))));
        Value c = b.node("cast", "/Cast \"q\"", List.of(r), Map.of("to", new Attr.Type(DType.F16)));
        return b.output(c).build();
    }

    @Test
    void printsGoldenText() {
        String expected =
                """
                // fsc IR · source tiny.onnx sha256 ab12
                graph @main(%input_ids: i64[B,S]) -> (%Cast_q: f16[B*S,2])
                    symbols {B <= 64, S <= 512}
                    metadata {"sha256" = "ab12", "source" = "tiny.onnx"} {
                  %tok_emb: f32[3,2] = const @"embeddings.word_embeddings.weight"
                  %w: f32[2] = const @"w"
                  %embeddings_Gather: f32[B,S,2] = gather(%tok_emb, %input_ids) {axis = 0} loc("/embeddings/Gather")
                  %ln: f32[B,S,2] = layer_norm(%embeddings_Gather, %w) {axis = -1, epsilon = 1.0E-12} loc("/ln")
                  %ln_1: f32[B,S,2] = gelu(%ln) {approximate = "tanh"}
                  %Reshape: f32[B*S,2] = reshape(%ln_1) {shape = <B*S, 2>} loc("/Reshape")
                  %Cast_q: f16[B*S,2] = cast(%Reshape) {to = f16} loc("/Cast \\"q\\"")  // arena[0x0 +0x40]
                  return %Cast_q
                }
                """;
        Graph g = tiny();
        String printed = IrPrinter.print(g, Map.of(g.outputs().getFirst(), "arena[0x0 +0x40]"));
        assertEquals(expected, printed);
        // Same graph built again (new Value objects): byte-identical text.
        assertEquals(IrPrinter.print(g), IrPrinter.print(tiny()));
    }

    @Test
    void attributesPrintUnambiguously() {
        assertEquals("[1, -2]", IrPrinter.attr(Attr.ints(1, -2)));
        assertEquals("[]", IrPrinter.attr(Attr.ints()));
        assertEquals("floats[]", IrPrinter.attr(new Attr.Floats(List.of())));
        assertEquals(
                "[0.5, nan, -inf]",
                IrPrinter.attr(new Attr.Floats(List.of(0.5, Double.NaN, Double.NEGATIVE_INFINITY))));
        assertEquals("2.0", IrPrinter.attr(Attr.of(2.0)));
        assertEquals(
                "<-1, 12*S>",
                IrPrinter.attr(new Attr.Dims(List.of(Dim.of(-1), Dim.sym("S").times(Dim.of(12))))));
        assertEquals("\"a\\nb\\u0001\"", IrPrinter.attr(Attr.of("a\nb\u0001")));
    }

    @Test
    void commentsStayOnTheirLine() {
        GraphBuilder b = new GraphBuilder("g").metadata("source", "evil\nname.onnx");
        Value x = b.input("x", t("f32[2]"));
        Value y = b.node("relu", "", List.of(x), Map.of());
        Graph g = b.output(y).build();
        String text = IrPrinter.print(g, Map.of(y, "two\nlines"));
        assertEquals(
                "// fsc IR · source evil name.onnx", text.lines().findFirst().orElseThrow());
        assertEquals(
                "  %relu: f32[2] = relu(%x)  // two lines",
                text.lines().filter(l -> l.contains("relu(")).findFirst().orElseThrow());
        // The metadata block keeps the exact value, escaped.
        assertEquals(
                1, text.lines().filter(l -> l.contains("\"evil\\nname.onnx\"")).count());
    }
}
