package fsc.tests;

import com.google.protobuf.ByteString;
import fsc.frontend.onnx.proto.Onnx;
import java.util.List;
import java.util.Random;

/**
 * ONNX models written in code, for tests that hold fsc against ONNX Runtime on a graph built for
 * one case: nodes, attributes, typed inputs and initializers, so each test states only its graph.
 */
public final class OnnxProtos {
    private OnnxProtos() {}

    /** A model of {@code graph} in the default domain at {@code opset}. */
    public static Onnx.ModelProto model(Onnx.GraphProto.Builder graph, long irVersion, long opset) {
        return Onnx.ModelProto.newBuilder()
                .setIrVersion(irVersion)
                .addOpsetImport(
                        Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph)
                .build();
    }

    /** A node named after its op and first output (names only have to be unique). */
    public static Onnx.NodeProto.Builder node(String op, List<String> inputs, String... outputs) {
        return Onnx.NodeProto.newBuilder()
                .setOpType(op)
                .setName(op + "_" + outputs[0])
                .addAllInput(inputs)
                .addAllOutput(List.of(outputs));
    }

    public static Onnx.AttributeProto ints(String name, long... v) {
        Onnx.AttributeProto.Builder a =
                Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    public static Onnx.AttributeProto intAttr(String name, long v) {
        return Onnx.AttributeProto.newBuilder()
                .setName(name)
                .setType(Onnx.AttributeProto.AttributeType.INT)
                .setI(v)
                .build();
    }

    public static Onnx.AttributeProto floatAttr(String name, float v) {
        return Onnx.AttributeProto.newBuilder()
                .setName(name)
                .setType(Onnx.AttributeProto.AttributeType.FLOAT)
                .setF(v)
                .build();
    }

    public static Onnx.AttributeProto floatsAttr(String name, float... v) {
        Onnx.AttributeProto.Builder a =
                Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOATS);
        for (float x : v) {
            a.addFloats(x);
        }
        return a.build();
    }

    public static Onnx.AttributeProto string(String name, String v) {
        return Onnx.AttributeProto.newBuilder()
                .setName(name)
                .setType(Onnx.AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v))
                .build();
    }

    /** An f32 graph input or output of fixed dims. */
    public static Onnx.ValueInfoProto value(String name, long... dims) {
        return typed(name, Onnx.TensorProto.DataType.FLOAT_VALUE, dims);
    }

    /** A graph input or output of element type {@code elemType} (an ONNX DataType number), fixed dims. */
    public static Onnx.ValueInfoProto typed(String name, int elemType, long... dims) {
        Onnx.TensorShapeProto.Builder s = Onnx.TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return valueInfo(name, elemType, s);
    }

    /** An f32 graph input or output whose dims are numbers or, given as strings, named symbolic dims. */
    public static Onnx.ValueInfoProto symbolic(String name, Object... dims) {
        return symbolicTyped(name, Onnx.TensorProto.DataType.FLOAT_VALUE, dims);
    }

    /** As {@link #symbolic}, of element type {@code elemType} (an ONNX DataType number). */
    public static Onnx.ValueInfoProto symbolicTyped(String name, int elemType, Object... dims) {
        Onnx.TensorShapeProto.Builder s = Onnx.TensorShapeProto.newBuilder();
        for (Object d : dims) {
            var dim = Onnx.TensorShapeProto.Dimension.newBuilder();
            switch (d) {
                case String param -> dim.setDimParam(param);
                case Number n -> dim.setDimValue(n.longValue());
                default -> throw new IllegalArgumentException("a dim is a number or a name, not " + d);
            }
            s.addDim(dim);
        }
        return valueInfo(name, elemType, s);
    }

    private static Onnx.ValueInfoProto valueInfo(String name, int elemType, Onnx.TensorShapeProto.Builder shape) {
        return Onnx.ValueInfoProto.newBuilder()
                .setName(name)
                .setType(Onnx.TypeProto.newBuilder()
                        .setTensorType(Onnx.TypeProto.Tensor.newBuilder()
                                .setElemType(elemType)
                                .setShape(shape)))
                .build();
    }

    /** An f32 initializer. */
    public static Onnx.TensorProto floats(String name, long[] dims, float... v) {
        Onnx.TensorProto.Builder t =
                Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE);
        for (long d : dims) {
            t.addDims(d);
        }
        for (float f : v) {
            t.addFloatData(f);
        }
        return t.build();
    }

    /** An i64 initializer. */
    public static Onnx.TensorProto longs(String name, long[] dims, long... v) {
        Onnx.TensorProto.Builder t =
                Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.INT64_VALUE);
        for (long d : dims) {
            t.addDims(d);
        }
        for (long x : v) {
            t.addInt64Data(x);
        }
        return t.build();
    }

    /** An initializer of any element type from its little-endian bytes. */
    public static Onnx.TensorProto raw(String name, int elemType, long[] dims, byte[] bytes) {
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name).setDataType(elemType);
        for (long d : dims) {
            t.addDims(d);
        }
        return t.setRawData(ByteString.copyFrom(bytes)).build();
    }

    /** As many floats as {@code shape} holds, uniform in [lo, hi), drawn in order from {@code r}. */
    public static float[] uniform(Random r, long[] shape, float lo, float hi) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + r.nextFloat() * (hi - lo);
        }
        return v;
    }
}
