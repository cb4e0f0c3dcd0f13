package fsc.frontend.onnx;

import static fsc.frontend.onnx.OnnxTestSupport.assertOneLineError;
import static fsc.frontend.onnx.TinyModels.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.frontend.onnx.OnnxTensors.NamedTensor;
import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxTensorsTest {
    @TempDir
    Path dir;

    @Test
    void writeThenReadGivesTheSameTensor() {
        ByteBuffer b = ByteBuffer.allocate(6 * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) {
            b.putShort((short) Float.floatToFloat16(i * 0.5f));
        }
        WeightData data = new WeightData(DType.F16, List.of(2L, 3L), b.flip());
        Path file = dir.resolve("x.pb");
        OnnxTensors.write(file, "x", data);

        NamedTensor back = OnnxTensors.read(file);
        assertEquals("x", back.name());
        assertEquals(DType.F16, back.data().dtype());
        assertEquals(List.of(2L, 3L), back.data().dims());
        assertEquals(data.view(), back.data().view());
    }

    @Test
    void typedFieldsArePackedLittleEndian() {
        TensorProto bools = TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.BOOL_VALUE)
                .addDims(3)
                .addAllInt32Data(List.of(1, 0, 1))
                .build();
        WeightData w = OnnxTensors.read(write(dir, "b.pb", bools.toByteArray())).data();
        assertEquals(DType.BOOL, w.dtype());
        assertEquals(1, w.view().get(0));
        assertEquals(0, w.view().get(1));

        TensorProto u32 = TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.UINT32_VALUE)
                .addDims(1)
                .addUint64Data(4_000_000_000L)
                .build();
        WeightData u = OnnxTensors.read(write(dir, "u.pb", u32.toByteArray())).data();
        assertEquals(4_000_000_000L, Integer.toUnsignedLong(u.view().getInt(0)));
    }

    @Test
    void readsConformanceTestData() {
        Path set = OnnxTestSupport.sharedData().resolve("onnx/node/test_add/test_data_set_0");
        NamedTensor a = OnnxTensors.read(set.resolve("input_0.pb"));
        NamedTensor b = OnnxTensors.read(set.resolve("input_1.pb"));
        NamedTensor sum = OnnxTensors.read(set.resolve("output_0.pb"));
        assertEquals(DType.F32, a.data().dtype());
        assertEquals(List.of(3L, 4L, 5L), a.data().dims());
        for (int i = 0; i < 60; i++) {
            float expected = a.data().view().getFloat(i * 4) + b.data().view().getFloat(i * 4);
            assertEquals(expected, sum.data().view().getFloat(i * 4), 1e-6f);
        }
    }

    @Test
    void notATensorFile() {
        Path file = write(dir, "seq.pb", new byte[] {0x0a, 0x01, 0x41});
        assertOneLineError(() -> OnnxTensors.read(file), "seq.pb: not an ONNX tensor: data_type is missing");
    }

    /** The bound test inputs of the conformance runner reach the importer unchanged. */
    @Test
    void tensorFileCanBindAModelInput() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(TinyModels.value("x", TinyModels.FLOAT, 2L))
                .addNode(TinyModels.node("Neg", "n", List.of("x"), List.of("y")))
                .addOutput(TinyModels.value("y", TinyModels.FLOAT, 2L))
                .build();
        Path model = write(dir, "model.onnx", TinyModels.model(g, 13));
        OnnxTensors.write(dir.resolve("x.pb"), "x", new WeightData(DType.F32, List.of(2L), ByteBuffer.allocate(8)));
        Graph graph = OnnxImporter.importModel(
                model,
                ImportOptions.defaults()
                        .withBinding("x", OnnxTensors.read(dir.resolve("x.pb")).data()));
        assertEquals(List.of(), graph.inputs());
        // Nodes computed from a bound input are evaluated at import (ImportFolding): y is a constant too.
        assertEquals(List.of(), graph.nodes());
        assertEquals(2, graph.constants().size());
        org.junit.jupiter.api.Assertions.assertNotNull(
                graph.constantOf(graph.outputs().getFirst()));
    }
}
