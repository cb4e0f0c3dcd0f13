package fsc.tests.conformance;

import com.google.protobuf.ByteString;
import fsc.frontend.onnx.OnnxTensors;
import fsc.frontend.onnx.proto.Onnx.AttributeProto;
import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import fsc.frontend.onnx.proto.Onnx.TensorShapeProto;
import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import fsc.ir.DType;
import fsc.ir.WeightData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a one-node test in the ONNX node-test layout ({@code model.onnx} plus
 * {@code test_data_set_0/input_K.pb, output_K.pb}), so our own cases (older opsets, runner
 * classification) go through exactly the path the official tests take.
 */
final class NodeTestWriter {
    private final String opType;
    private final String domain;
    private final long opset;
    private final Map<String, WeightData> inputs = new LinkedHashMap<>();
    private final Map<String, WeightData> outputs = new LinkedHashMap<>();
    private final List<AttributeProto> attrs = new ArrayList<>();

    NodeTestWriter(String opType, String domain, long opset) {
        this.opType = opType;
        this.domain = domain;
        this.opset = opset;
    }

    NodeTestWriter(String opType, long opset) {
        this(opType, "", opset);
    }

    NodeTestWriter input(String name, WeightData data) {
        inputs.put(name, data);
        return this;
    }

    NodeTestWriter output(String name, WeightData expected) {
        outputs.put(name, expected);
        return this;
    }

    NodeTestWriter ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        attrs.add(a.build());
        return this;
    }

    NodeTestWriter integer(String name, long value) {
        attrs.add(AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.INT)
                .setI(value)
                .build());
        return this;
    }

    NodeTestWriter string(String name, String value) {
        attrs.add(AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value))
                .build());
        return this;
    }

    /** Writes the test as {@code root/name}; returns the folder. */
    Path write(Path root, String name) {
        Path dir = root.resolve(name);
        Path data = dir.resolve("test_data_set_0");
        try {
            Files.createDirectories(data);
            GraphProto.Builder g = GraphProto.newBuilder().setName(name);
            g.addNode(NodeProto.newBuilder()
                    .setOpType(opType)
                    .setDomain(domain)
                    .setName("node")
                    .addAllInput(inputs.keySet())
                    .addAllOutput(outputs.keySet())
                    .addAllAttribute(attrs));
            int k = 0;
            for (var e : inputs.entrySet()) {
                g.addInput(info(e.getKey(), e.getValue()));
                OnnxTensors.write(data.resolve("input_" + k++ + ".pb"), e.getKey(), e.getValue());
            }
            k = 0;
            for (var e : outputs.entrySet()) {
                g.addOutput(info(e.getKey(), e.getValue()));
                OnnxTensors.write(data.resolve("output_" + k++ + ".pb"), e.getKey(), e.getValue());
            }
            ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(7).setGraph(g);
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
            if (!domain.isEmpty()) {
                m.addOpsetImport(
                        OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(1));
            }
            Files.write(dir.resolve("model.onnx"), m.build().toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static ValueInfoProto info(String name, WeightData w) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        w.dims()
                .forEach(d ->
                        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d)));
        int elem = fsc.frontend.onnx.OnnxTensors.toProto(name, w).getDataType();
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setTensorType(
                                TypeProto.Tensor.newBuilder().setElemType(elem).setShape(shape)))
                .build();
    }

    static WeightData floats(long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return new WeightData(DType.F32, java.util.Arrays.stream(shape).boxed().toList(), b.flip());
    }

    static WeightData longs(long[] shape, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return new WeightData(DType.I64, java.util.Arrays.stream(shape).boxed().toList(), b.flip());
    }
}
