package fsc.frontend.onnx;

import com.google.protobuf.ByteString;
import fsc.frontend.onnx.proto.Onnx.AttributeProto;
import fsc.frontend.onnx.proto.Onnx.AttributeProto.AttributeType;
import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.frontend.onnx.proto.Onnx.TensorShapeProto;
import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Builders for the tiny ONNX models the tests write: short helpers over the generated protobuf builders. */
final class TinyModels {
    private TinyModels() {}

    static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    static final int INT64 = TensorProto.DataType.INT64_VALUE;

    /** A graph input or output; each dim is a Long (fixed), a String (dim_param) or null (unknown). */
    static ValueInfoProto value(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Number n) {
                dim.setDimValue(n.longValue());
            } else if (d instanceof String s) {
                dim.setDimParam(s);
            }
            shape.addDim(dim);
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder()
                                .setElemType(elemType)
                                .setShape(shape)))
                .build();
    }

    static NodeProto node(String op, String name, List<String> inputs, List<String> outputs, AttributeProto... attrs) {
        return NodeProto.newBuilder()
                .setOpType(op)
                .setName(name)
                .addAllInput(inputs)
                .addAllOutput(outputs)
                .addAllAttribute(List.of(attrs))
                .build();
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeType.INT)
                .setI(v)
                .build();
    }

    static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeType.FLOAT)
                .setF(v)
                .build();
    }

    static AttributeProto intsAttr(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    static AttributeProto tensorAttr(String name, TensorProto t) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeType.TENSOR)
                .setT(t)
                .build();
    }

    /** A float tensor in float_data. */
    static TensorProto floats(String name, List<Long> dims, float... values) {
        TensorProto.Builder b =
                TensorProto.newBuilder().setName(name).setDataType(FLOAT).addAllDims(dims);
        for (float v : values) {
            b.addFloatData(v);
        }
        return b.build();
    }

    /** A float tensor in raw_data. */
    static TensorProto rawFloats(String name, List<Long> dims, float... values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buf.putFloat(v);
        }
        return TensorProto.newBuilder()
                .setName(name)
                .setDataType(FLOAT)
                .addAllDims(dims)
                .setRawData(ByteString.copyFrom(buf.flip()))
                .build();
    }

    static TensorProto longs(String name, List<Long> dims, long... values) {
        TensorProto.Builder b =
                TensorProto.newBuilder().setName(name).setDataType(INT64).addAllDims(dims);
        for (long v : values) {
            b.addInt64Data(v);
        }
        return b.build();
    }

    static ModelProto model(GraphProto graph, long opset) {
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("fsc-tests")
                .setProducerVersion("1")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph)
                .build();
    }

    static Path write(Path dir, String fileName, ModelProto model) {
        return write(dir, fileName, model.toByteArray());
    }

    static Path write(Path dir, String fileName, byte[] bytes) {
        try {
            return Files.write(dir.resolve(fileName), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** y = x·W + b with x f32[batch, 4], W f32[4, 3] (float_data), b f32[3] (raw_data). */
    static GraphProto.Builder matmulAdd() {
        return GraphProto.newBuilder()
                .setName("tiny")
                .addInput(value("x", FLOAT, "batch", 4L))
                .addInitializer(floats("W", List.of(4L, 3L), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12))
                .addInitializer(rawFloats("b", List.of(3L), 0.5f, 1.5f, 2.5f))
                .addNode(node("MatMul", "mm", List.of("x", "W"), List.of("xw")))
                .addNode(node("Add", "bias", List.of("xw", "b"), List.of("y")))
                .addOutput(value("y", FLOAT, "batch", 3L));
    }
}
