package fsc.ir.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.Container;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.Verifier;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sequence and optional types: their rules, the refusal of containers elsewhere, and the text form. */
class SequenceOpsTest {

    private static Graph insertAndCount() {
        GraphBuilder b = new GraphBuilder("seq");
        Value s = b.input("s", TensorType.sequence(DType.I64));
        Value t = b.input("t", TensorType.of(DType.I64, 3));
        Value pos = b.input("pos", TensorType.of(DType.I64, 1));
        Value ins = b.node("sequence_insert", "", List.of(s, t, pos), Map.of());
        Value split = b.node("split_to_sequence", "", List.of(t), Map.of("keepdims", Attr.of(0)));
        Value opt = b.node("optional", "", List.of(split), Map.of());
        Value none = b.node(
                "optional",
                "",
                List.of(),
                Map.of("dtype", new Attr.Type(DType.F32), "dims", new Attr.Dims(List.of(Dim.of(4)))));
        b.output(b.node("sequence_length", "", List.of(ins), Map.of()));
        b.output(b.node("optional_has_element", "", List.of(opt), Map.of()));
        b.output(b.node("optional_get_element", "", List.of(none), Map.of()));
        b.output(b.node("container_identity", "", List.of(opt), Map.of()));
        return b.build();
    }

    @Test
    void rulesTypeContainers() {
        Graph g = insertAndCount();
        Verifier.verify(g);
        assertEquals(TensorType.of(DType.I64), g.outputs().get(0).type());
        assertEquals(TensorType.of(DType.BOOL), g.outputs().get(1).type());
        assertEquals(TensorType.of(DType.F32, 4), g.outputs().get(2).type());
        TensorType optSeq = g.outputs().get(3).type();
        assertEquals(Container.OPTIONAL_SEQUENCE, optSeq.container());
        assertEquals("opt<seq<i64>>", optSeq.toString());
    }

    @Test
    void textRoundTrips() {
        Graph g = insertAndCount();
        String text = IrPrinter.print(g);
        assertTrue(text.contains("seq<i64>"), text);
        assertTrue(text.contains("opt<f32[4]>"), text);
        Graph back = IrParser.parse(text, "seq.fsir");
        assertEquals(text, IrPrinter.print(back));
    }

    @Test
    void otherOpsRefuseContainers() {
        GraphBuilder b = new GraphBuilder("bad");
        Value s = b.input("s", TensorType.sequence(DType.F32));
        FscException e = assertThrows(FscException.class, () -> b.node("relu", "", List.of(s), Map.of()));
        assertTrue(e.getMessage().contains("relu takes tensors"), e.getMessage());
    }

    @Test
    void rulesRejectMismatches() {
        GraphBuilder b = new GraphBuilder("bad");
        Value s = b.input("s", TensorType.sequence(DType.F32));
        Value i = b.input("i", TensorType.of(DType.I64, 2));
        assertThrows(FscException.class, () -> b.node("sequence_insert", "", List.of(s, i), Map.of()));
        assertThrows(
                FscException.class,
                () -> b.node("sequence_insert", "", List.of(s, b.input("x", TensorType.of(DType.F32)), i), Map.of()));
        assertThrows(FscException.class, () -> b.node("sequence_length", "", List.of(i), Map.of()));
        assertThrows(
                FscException.class,
                () -> b.node("sequence_construct", "", List.of(i, b.input("f", TensorType.of(DType.F32))), Map.of()));
        assertThrows(FscException.class, () -> b.node("container_identity", "", List.of(i), Map.of()));
    }

    @Test
    void malformedContainerTextIsAOneLineError() {
        String bad =
                """
                graph @g(%s: seq<f32[3]>) -> (%s: seq<f32[3]>) {
                  return %s
                }
                """;
        FscException e = assertThrows(FscException.class, () -> IrParser.parse(bad, "bad.fsir"));
        assertTrue(e.getMessage().contains("seq<DTYPE>"), e.getMessage());
    }

    @Test
    void sequenceTypesHaveNoDims() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new TensorType(DType.F32, List.of(Dim.of(2)), "", Container.SEQUENCE));
        assertEquals(
                TensorType.of(DType.F32, 2),
                TensorType.optional(TensorType.of(DType.F32, 2)).unwrapped());
    }
}
