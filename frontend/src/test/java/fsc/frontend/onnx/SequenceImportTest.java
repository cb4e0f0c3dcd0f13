package fsc.frontend.onnx;

import static fsc.frontend.onnx.OnnxTestSupport.assertOneLineError;
import static fsc.frontend.onnx.TinyModels.FLOAT;
import static fsc.frontend.onnx.TinyModels.INT64;
import static fsc.frontend.onnx.TinyModels.intAttr;
import static fsc.frontend.onnx.TinyModels.model;
import static fsc.frontend.onnx.TinyModels.node;
import static fsc.frontend.onnx.TinyModels.value;
import static fsc.frontend.onnx.TinyModels.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.OptionalProto;
import fsc.frontend.onnx.proto.Onnx.SequenceProto;
import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import fsc.ir.Container;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.interp.HostContainer;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sequence and optional types and ops through the importer, and their test-data files. */
class SequenceImportTest {
    @TempDir
    Path dir;

    private static ValueInfoProto seq(String name, int elemType) {
        TypeProto elem = TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType))
                .build();
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setSequenceType(TypeProto.Sequence.newBuilder().setElemType(elem)))
                .build();
    }

    @Test
    void sequenceOpsImportAndRun() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(seq("s", FLOAT))
                .addInput(value("x", FLOAT, 2L, 3L))
                .addNode(node("SplitToSequence", "split", List.of("x"), List.of("rows"), intAttr("axis", 0)))
                .addNode(node("SequenceInsert", "ins", List.of("rows", "x"), List.of("more")))
                .addNode(node("SequenceLength", "len", List.of("more"), List.of("n")))
                .addNode(node("Identity", "id", List.of("s"), List.of("same")))
                .addNode(node("OptionalHasElement", "has", List.of("x"), List.of("always")))
                .addOutput(value("n", INT64))
                .addOutput(seq("same", FLOAT))
                .addOutput(value("always", fsc.frontend.onnx.proto.Onnx.TensorProto.DataType.BOOL_VALUE))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "seq.onnx", model(g, 18)));
        assertEquals("seq<f32>", graph.inputs().getFirst().type().toString());
        assertTrue(graph.nodes().stream().anyMatch(n -> n.op().equals("container_identity")));
        HostTensor s = HostTensor.container(
                DType.F32,
                new long[0],
                new HostContainer(Container.SEQUENCE, List.of(HostTensor.ofFloats(new long[] {1}, 4))));
        Map<String, HostTensor> out = new Interpreter(graph)
                .run(Map.of("s", s, "x", HostTensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6)));
        assertEquals(3, out.get("n").getLong(0), "two rows and the inserted tensor");
        assertEquals(1, out.get("same").held().elements().size());
        assertEquals(1, out.get("always").getLong(0), "a tensor always has an element");
    }

    @Test
    void sequenceOfNonTensorsIsAOneLineError() {
        TypeProto seqOfSeq = TypeProto.newBuilder()
                .setSequenceType(TypeProto.Sequence.newBuilder()
                        .setElemType(seq("e", FLOAT).getType()))
                .build();
        GraphProto g = GraphProto.newBuilder()
                .addInput(ValueInfoProto.newBuilder().setName("s").setType(seqOfSeq))
                .addNode(node("SequenceLength", "len", List.of("s"), List.of("n")))
                .addOutput(value("n", INT64))
                .build();
        assertOneLineError(
                () -> OnnxImporter.importModel(write(dir, "bad.onnx", model(g, 18))),
                "fsc imports sequences of tensors");
    }

    @Test
    void testDataReadsAsTheDeclaredKind() throws Exception {
        var t = OnnxTensors.toProto(
                "", fsc.ir.interp.HostTensor.ofFloats(new long[] {2}, 1, 2).toWeight());
        Path seqFile = dir.resolve("seq.pb");
        java.nio.file.Files.write(
                seqFile,
                SequenceProto.newBuilder()
                        .setElemType(SequenceProto.DataType.TENSOR_VALUE)
                        .addTensorValues(t)
                        .addTensorValues(t)
                        .build()
                        .toByteArray());
        Path emptyOpt = dir.resolve("opt.pb");
        java.nio.file.Files.write(emptyOpt, OptionalProto.newBuilder().build().toByteArray());
        var s = assertInstanceOf(
                OnnxValues.SequenceValue.class,
                OnnxValues.read(seqFile, seq("s", FLOAT).getType()));
        assertEquals(2, s.elements().size());
        TypeProto optType = TypeProto.newBuilder()
                .setOptionalType(TypeProto.Optional.newBuilder()
                        .setElemType(value("x", FLOAT, 2L).getType()))
                .build();
        var o = assertInstanceOf(OnnxValues.OptionalValue.class, OnnxValues.read(emptyOpt, optType));
        assertNull(o.value());
    }
}
