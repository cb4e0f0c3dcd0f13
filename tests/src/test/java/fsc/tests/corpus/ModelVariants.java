package fsc.tests.corpus;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import fsc.frontend.onnx.proto.Onnx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Copies of a corpus model with one numerical step changed, written to trace where fsc and ONNX Runtime
 * part: with that step made exact (or removed) in both engines, whatever difference is left comes from
 * somewhere else.
 */
final class ModelVariants {
    private ModelVariants() {}

    /**
     * {@code model} with every Resize in {@code nearest} mode: each output element is then a copy of an
     * input element in any engine, so no interpolation rounding is left to differ.
     */
    static Path nearestResize(Path model, Path out) throws IOException {
        Onnx.ModelProto m = read(model);
        Onnx.GraphProto.Builder g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (!g.getNode(i).getOpType().equals("Resize")) {
                continue;
            }
            Onnx.NodeProto.Builder n = g.getNode(i).toBuilder();
            for (int j = 0; j < n.getAttributeCount(); j++) {
                if (n.getAttribute(j).getName().equals("mode")) {
                    n.setAttribute(j, n.getAttribute(j).toBuilder().setS(ByteString.copyFromUtf8("nearest")));
                }
            }
            g.setNode(i, n);
        }
        return write(m.toBuilder().setGraph(g).build(), out);
    }

    /**
     * {@code model} (a float16 conversion) with its f16 initializers widened exactly to f32 and every
     * Cast to f16 made a Cast to f32: the same network and weights with no f16 rounding anywhere.
     */
    static Path widenedToF32(Path model, Path out) throws IOException {
        Onnx.ModelProto m = read(model);
        Onnx.GraphProto.Builder g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            Onnx.TensorProto t = g.getInitializer(i);
            if (t.getDataType() == Onnx.TensorProto.DataType.FLOAT16_VALUE) {
                g.setInitializer(i, widened(t));
            }
        }
        for (int i = 0; i < g.getNodeCount(); i++) {
            Onnx.NodeProto.Builder n = g.getNode(i).toBuilder();
            for (int j = 0; j < n.getAttributeCount(); j++) {
                Onnx.AttributeProto a = n.getAttribute(j);
                if (n.getOpType().equals("Cast")
                        && a.getName().equals("to")
                        && a.getI() == Onnx.TensorProto.DataType.FLOAT16_VALUE) {
                    n.setAttribute(j, a.toBuilder().setI(Onnx.TensorProto.DataType.FLOAT_VALUE));
                }
            }
            g.setNode(i, n);
        }
        g.clearValueInfo(); // they name f16 types; importers infer the f32 ones
        return write(m.toBuilder().setGraph(g).build(), out);
    }

    private static Onnx.TensorProto widened(Onnx.TensorProto t) {
        long count = 1;
        for (long d : t.getDimsList()) {
            count *= d;
        }
        int n = Math.toIntExact(count);
        ByteBuffer f32 = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < n; k++) {
            short bits = t.getRawData().isEmpty() ? (short) t.getInt32Data(k) : raw.getShort(2 * k);
            f32.putFloat(Float.float16ToFloat(bits));
        }
        return t.toBuilder()
                .setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                .clearInt32Data()
                .setRawData(ByteString.copyFrom(f32.array()))
                .build();
    }

    private static Onnx.ModelProto read(Path model) throws IOException {
        try (InputStream in = Files.newInputStream(model)) {
            CodedInputStream c = CodedInputStream.newInstance(in);
            c.setSizeLimit(Integer.MAX_VALUE);
            return Onnx.ModelProto.parseFrom(c);
        }
    }

    private static Path write(Onnx.ModelProto m, Path out) throws IOException {
        Files.write(out, m.toByteArray());
        return out;
    }
}
