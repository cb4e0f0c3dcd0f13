package fsc.ir.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.StringData;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.Verifier;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The string element type and ops in the IR: shape rules, text form, constants and the interpreter. */
class StringOpsIrTest {

    private static Graph splitGraph() {
        GraphBuilder b = new GraphBuilder("split").symbol("P", 8);
        Value x = b.input("x", TensorType.of(DType.STRING, 2));
        Value sep = b.constant("sep", new WeightData(DType.STRING, List.of(1L), StringData.encode(List.of("-\"é"))));
        Value joined = b.node("string_concat", "j", List.of(x, sep), Map.of());
        Map<String, Attr> a = new TreeMap<>();
        a.put("delimiter", new Attr.Str("-\"é"));
        a.put("extent", new Attr.Dims(List.of(Dim.sym("P"))));
        for (Value v : b.node("string_split", "s", List.of(joined), a, List.of("pieces", "n"))) {
            b.output(v);
        }
        return b.build();
    }

    @Test
    void textFormRoundTripsStringTypesAttributesAndConstants() {
        Graph g = splitGraph();
        String printed = IrPrinter.print(g);
        assertTrue(printed.contains("string[2,P]"), printed);
        Graph back = IrParser.parse(printed, "t.fsir", g.weights());
        Verifier.verify(back);
        assertEquals(printed, IrPrinter.print(back));

        GraphBuilder b = new GraphBuilder("norm").symbol("N", 3);
        Value x = b.input("x", TensorType.of(DType.STRING, 3));
        Map<String, Attr> a = new TreeMap<>();
        a.put("stopwords", new Attr.Strs(List.of("a", "b\"c", "")));
        a.put("extent", new Attr.Dims(List.of(Dim.sym("N"))));
        b.output(b.node("string_normalizer", "n", List.of(x), a));
        String text = IrPrinter.print(b.build());
        assertTrue(text.contains("stopwords = strings[\"a\", \"b\\\"c\", \"\"]"), text);
        assertEquals(text, IrPrinter.print(IrParser.parse(text, "n.fsir")));
    }

    @Test
    void interpreterLearnsTheExtentWhenTheNodeRuns() {
        Map<String, HostTensor> out =
                new Interpreter(splitGraph()).run(Map.of("x", HostTensor.ofStrings(new long[] {2}, "a-\"éb", "")));
        HostTensor pieces = out.get("pieces");
        assertArrayEquals(new long[] {2, 3}, pieces.shape());
        assertArrayEquals(new String[] {"a", "b", "", "", "", ""}, pieces.toStringArray());
        assertArrayEquals(new long[] {3, 2}, out.get("n").toLongArray());
    }

    @Test
    void shapeRulesRejectWhatOnnxRejects() {
        GraphBuilder b = new GraphBuilder("bad");
        Value f = b.input("f", TensorType.of(DType.F32, 2));
        Value s = b.input("s", TensorType.of(DType.STRING, 2, 2));
        FscException e = assertThrows(FscException.class, () -> b.node("string_concat", "c", List.of(f, f), Map.of()));
        assertTrue(e.getMessage().contains("must be a string tensor"), e.getMessage());
        e = assertThrows(
                FscException.class,
                () -> b.node("regex_full_match", "r", List.of(s), Map.of("pattern", new Attr.Str("(a"))));
        assertTrue(e.getMessage().contains("is not a regular expression"), e.getMessage());
        e = assertThrows(
                FscException.class,
                () -> b.node(
                        "string_normalizer", "n", List.of(s), Map.of("extent", new Attr.Dims(List.of(Dim.of(2))))));
        assertTrue(e.getMessage().contains("[C] or [1, C]"), e.getMessage());
        e = assertThrows(
                FscException.class,
                () -> b.node(
                        "label_encoder",
                        "l",
                        List.of(s),
                        Map.of(
                                "keys_strings", new Attr.Strs(List.of("a")),
                                "values_ints", Attr.ints(1, 2),
                                "to", new Attr.Type(DType.I64))));
        assertTrue(e.getMessage().contains("1 keys but 2 values"), e.getMessage());
    }

    @Test
    void stringWeightsCountTheirElements() {
        ByteBuffer two = StringData.encode(List.of("x", "yz"));
        assertThrows(IllegalArgumentException.class, () -> new WeightData(DType.STRING, List.of(3L), two));
        ByteBuffer truncated = StringData.encode(List.of("abc")).limit(5);
        assertThrows(IllegalArgumentException.class, () -> StringData.decode(truncated));
        assertEquals(0, DType.STRING.bytesFor(100));
    }
}
