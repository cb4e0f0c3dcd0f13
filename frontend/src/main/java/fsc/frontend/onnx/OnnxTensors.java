package fsc.frontend.onnx;

import com.google.protobuf.ByteString;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.FscException;
import fsc.ir.WeightData;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ONNX {@code TensorProto} files ({@code input_0.pb} of the ONNX backend tests, {@code fsc run
 * --input x=file.pb}) read into and written from {@link WeightData}: element type, dims and
 * little-endian bytes, the same triple the IR uses for weights.
 */
public final class OnnxTensors {
    private OnnxTensors() {}

    /** A tensor and the name stored in its file (empty when the file names none). */
    public record NamedTensor(String name, WeightData data) {}

    /** Reads a {@code .pb} file; external data, if any, is relative to the file's folder. */
    public static NamedTensor read(Path file) {
        TensorProto t = ProtoFiles.parse(file, TensorProto.parser(), "tensor").message();
        if (!t.hasDataType()) {
            throw new FscException(file.getFileName()
                    + ": not an ONNX tensor: data_type is missing (is it a SequenceProto or OptionalProto?)");
        }
        String where = file.getFileName() + ": tensor" + (t.getName().isEmpty() ? "" : " '" + t.getName() + "'");
        Path dir = file.toAbsolutePath().getParent();
        return new NamedTensor(t.getName(), TensorData.toWeight(t, dir, where));
    }

    /** The {@code TensorProto} for {@code data}, contents in {@code raw_data}. */
    public static TensorProto toProto(String name, WeightData data) {
        if (data.dtype().isString()) {
            return TensorProto.newBuilder()
                    .setName(name)
                    .setDataType(OnnxDTypes.fromIr(data.dtype()))
                    .addAllDims(data.dims())
                    .addAllStringData(fsc.ir.StringData.decode(data.view()).stream()
                            .map(ByteString::copyFromUtf8)
                            .toList())
                    .build();
        }
        return TensorProto.newBuilder()
                .setName(name)
                .setDataType(OnnxDTypes.fromIr(data.dtype()))
                .addAllDims(data.dims())
                .setRawData(ByteString.copyFrom(data.view()))
                .build();
    }

    /** Writes {@code data} as a {@code .pb} file. */
    public static void write(Path file, String name, WeightData data) {
        try (OutputStream out = Files.newOutputStream(file)) {
            toProto(name, data).writeTo(out);
        } catch (IOException e) {
            throw new FscException(file + ": cannot write: " + ProtoFiles.oneLine(String.valueOf(e.getMessage())));
        }
    }
}
