package fsc.frontend.onnx;

import static fsc.frontend.onnx.OnnxTestSupport.assertOneLineError;
import static fsc.frontend.onnx.TinyModels.FLOAT;
import static fsc.frontend.onnx.TinyModels.floatAttr;
import static fsc.frontend.onnx.TinyModels.matmulAdd;
import static fsc.frontend.onnx.TinyModels.model;
import static fsc.frontend.onnx.TinyModels.node;
import static fsc.frontend.onnx.TinyModels.value;
import static fsc.frontend.onnx.TinyModels.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.CodedOutputStream;
import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import fsc.frontend.onnx.proto.Onnx.StringStringEntryProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.WeightData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every broken model gives one readable line naming the file and, where there is one, the node. */
class MalformedModelTest {
    @TempDir
    Path dir;

    private Path validModel() {
        return write(dir, "model.onnx", model(matmulAdd().build(), 14));
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] bytes = Files.readAllBytes(validModel());
        Path cut = write(dir, "cut.onnx", Arrays.copyOf(bytes, bytes.length / 2));
        assertOneLineError(() -> OnnxImporter.importModel(cut), "cut.onnx: not a valid ONNX model: ");
    }

    @Test
    void garbageBytes() {
        byte[] bytes = new byte[4096];
        new Random(42).nextBytes(bytes);
        Path junk = write(dir, "junk.onnx", bytes);
        assertOneLineError(() -> OnnxImporter.importModel(junk), "junk.onnx: not a valid ONNX model: ");
    }

    @Test
    void emptyFileIsNotAModel() {
        Path empty = write(dir, "empty.onnx", new byte[0]);
        assertOneLineError(
                () -> OnnxImporter.importModel(empty), "empty.onnx: not a valid ONNX model: ir_version is missing");
    }

    @Test
    void missingFile() {
        assertOneLineError(() -> OnnxImporter.importModel(dir.resolve("nope.onnx")), "nope.onnx: no such file");
    }

    @Test
    void wrongWireTypeForTheGraphField() throws IOException {
        // Field 7 (graph) written as a varint: protobuf keeps it as an unknown field, so the model
        // has no graph.
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(buf);
        out.writeInt64(1, 8);
        out.writeInt64(7, 12345);
        out.flush();
        Path file = write(dir, "wire.onnx", buf.toByteArray());
        assertOneLineError(() -> OnnxImporter.importModel(file), "wire.onnx: not a valid ONNX model: it has no graph");
    }

    @Test
    void lengthBeyondTheEndOfFile() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(buf);
        out.writeInt64(1, 8);
        out.writeTag(7, 2); // graph, length-delimited
        out.writeUInt32NoTag(1000); // ... but only a few bytes follow
        out.writeRawBytes(new byte[] {10, 2, 1});
        out.flush();
        Path file = write(dir, "short.onnx", buf.toByteArray());
        assertOneLineError(() -> OnnxImporter.importModel(file), "short.onnx: not a valid ONNX model: ");
    }

    @Test
    void tensorWithTheWrongDataField() {
        TensorProto bad = TensorProto.newBuilder()
                .setName("W")
                .setDataType(FLOAT)
                .addDims(4)
                .addDims(3)
                .addAllInt64Data(List.of(1L, 2L))
                .build();
        GraphProto g = matmulAdd().setInitializer(0, bad).build();
        Path file = write(dir, "model.onnx", model(g, 14));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: initializer 'W': f32[4, 3] needs 12 values in float_data (or raw_data), found 0");
    }

    @Test
    void attributeOfTheWrongType() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 2L, 3L))
                .addNode(node("Softmax", "sm", List.of("x"), List.of("y"), floatAttr("axis", 1f)))
                .addOutput(value("y", FLOAT, 2L, 3L))
                .build();
        Path file = write(dir, "model.onnx", model(g, 13));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: node 'sm' (Softmax): attribute 'axis' must be INT, got FLOAT");
    }

    @Test
    void aNodeWithoutTheOutputItsOpDefinesIsRefused() {
        // Found by the seeded mutation run: one flipped bit turned Relu's output field into another.
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 2L, 3L))
                .addNode(node("Relu", "r", List.of("x"), List.of()))
                .addOutput(value("y", FLOAT, 2L, 3L))
                .build();
        Path file = write(dir, "model.onnx", model(g, 14));
        assertOneLineError(
                () -> OnnxImporter.importModel(file), "model.onnx: node 'r' (Relu): needs output 0, the node names 0");
    }

    @Test
    void complexInputIsRejected() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("s", TensorProto.DataType.COMPLEX64_VALUE, 2L))
                .addNode(node("Identity", "id", List.of("s"), List.of("y")))
                .addOutput(value("y", TensorProto.DataType.COMPLEX64_VALUE, 2L))
                .build();
        Path file = write(dir, "model.onnx", model(g, 13));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: graph input 's' has element type COMPLEX64, which fsc does not support");
    }

    @Test
    void missingInitializerNamesTheNodeAndTheValue() {
        GraphProto g = matmulAdd().removeInitializer(1).build();
        Path file = write(dir, "model.onnx", model(g, 14));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: node 'bias' (Add): input 'b' is not a graph input, an initializer or any node's output");
    }

    @Test
    void cycleNamesTheNodeAndTheValue() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 2L))
                .addNode(node("Add", "a", List.of("x", "q"), List.of("p")))
                .addNode(node("Relu", "r", List.of("p"), List.of("q")))
                .addOutput(value("q", FLOAT, 2L))
                .build();
        Path file = write(dir, "model.onnx", model(g, 14));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: node 'a' (Add): input 'q' depends on this node's own output (the graph has a cycle)");
    }

    @Test
    void valueDefinedTwice() {
        GraphProto g = matmulAdd()
                .addNode(node("Relu", "again", List.of("x"), List.of("xw")))
                .build();
        Path file = write(dir, "model.onnx", model(g, 14));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: node 'again' (Relu): output 'xw' is also produced by node 'mm' (MatMul)");
    }

    @Test
    void declaredOutputShapeMustMatch() {
        GraphProto.Builder g = matmulAdd();
        g.setOutput(0, value("y", FLOAT, "batch", 5L));
        Path file = write(dir, "model.onnx", model(g.build(), 14));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: graph output 'y' is declared FLOAT[batch,5], but the graph computes f32[batch,3]");
    }

    @Test
    void undefinedGraphOutput() {
        GraphProto.Builder g = matmulAdd().addOutput(value("nothing", FLOAT, 1L));
        Path file = write(dir, "model.onnx", model(g.build(), 14));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: graph output 'nothing' is not a graph input, an initializer or any node's output");
    }

    @Test
    void unsupportedOpsAreListedTogetherBeforeAnythingElse() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 1L, 3L, 8L, 8L))
                // A missing initializer too: the op report must come first.
                .addNode(node("FancyConv", "conv1", List.of("x", "w_missing"), List.of("c1")))
                .addNode(node("Relu", "relu", List.of("c1"), List.of("r")))
                .addNode(node("FancyConv", "conv2", List.of("r", "w_missing"), List.of("c2")))
                .addNode(node("FancyConv", "", List.of("c2", "w_missing"), List.of("c3")))
                .addNode(node("FancyConv", "conv4", List.of("c3", "w_missing"), List.of("c4")))
                .addNode(node("FancyPool", "pool", List.of("c4"), List.of("p")))
                .addNode(NodeProto.newBuilder(node("FusedGemm", "fg", List.of("p"), List.of("y")))
                        .setDomain("com.microsoft")
                        .build())
                .addOutput(value("y", FLOAT, 1L))
                .build();
        ModelProto m = model(g, 14).toBuilder()
                .addOpsetImport(OperatorSetIdProto.newBuilder()
                        .setDomain("com.microsoft")
                        .setVersion(1))
                .build();
        Path file = write(dir, "model.onnx", m);
        FscException e = assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: unsupported ONNX ops: FancyConv (ai.onnx opset 14; nodes 'conv1', 'conv2', #3 and 1 more),"
                        + " FancyPool (ai.onnx opset 14; node 'pool'), FusedGemm (com.microsoft opset 1; node 'fg')");
        assertEquals(
                "model.onnx: unsupported ONNX ops: FancyConv (ai.onnx opset 14; nodes 'conv1', 'conv2', #3 and 1 more),"
                        + " FancyPool (ai.onnx opset 14; node 'pool'), FusedGemm (com.microsoft opset 1; node 'fg')",
                e.getMessage());
    }

    @Test
    void opsetTooOldForAnOpIsUnsupported() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 2L, 3L))
                .addInitializer(TinyModels.longs("s", List.of(1L), 6))
                .addNode(node("Reshape", "r", List.of("x", "s"), List.of("y")))
                .addOutput(value("y", FLOAT, 6L))
                .build();
        Path file = write(dir, "model.onnx", model(g, 4));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "unsupported ONNX ops: Reshape (ai.onnx opset 4, fsc needs opset 5+; node 'r')");
    }

    @Test
    void unknownBindingIsRejected() {
        Path file = validModel();
        ImportOptions opts = ImportOptions.defaults()
                .withBinding("ids", new WeightData(DType.I64, List.of(), ByteBuffer.allocate(8)));
        assertOneLineError(
                () -> OnnxImporter.importModel(file, opts),
                "model.onnx: --bind ids: the model has no input named 'ids' (inputs: x)");
    }

    @Test
    void bindingOfTheWrongType() {
        Path file = validModel();
        ImportOptions opts =
                ImportOptions.defaults().withBinding("x", new WeightData(DType.I64, List.of(), ByteBuffer.allocate(8)));
        assertOneLineError(
                () -> OnnxImporter.importModel(file, opts),
                "model.onnx: --bind x: the input is FLOAT, the bound data is i64[]");
    }

    /** External data pointing outside the model folder is refused however it is spelled. */
    @Test
    void externalDataEscapingTheModelFolder() throws IOException {
        for (String location : List.of("../../etc/passwd", "sub/../../outside.bin", "/etc/passwd")) {
            Path file = write(dir, "model.onnx", model(withExternalW(location, 0), 14));
            assertOneLineError(
                    () -> OnnxImporter.importModel(file),
                    location.startsWith("/")
                            ? "model.onnx: initializer 'W': external data location '/etc/passwd' is absolute"
                            : "model.onnx: initializer 'W': external data location '" + location
                                    + "' points outside the model's folder");
        }
    }

    @Test
    void externalDataThroughASymlinkOutOfTheFolder() throws IOException {
        Path modelDir = Files.createDirectory(dir.resolve("m"));
        Path outside = Files.write(dir.resolve("secret.bin"), new byte[48]);
        Files.createSymbolicLink(modelDir.resolve("w.bin"), outside);
        Path file = write(modelDir, "model.onnx", model(withExternalW("w.bin", 0), 14));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: initializer 'W': external data location 'w.bin' is a link to a file outside the model's"
                        + " folder");
    }

    @Test
    void externalDataFileMissingOrShort() throws IOException {
        Path file = write(dir, "model.onnx", model(withExternalW("w.bin", 0), 14));
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: initializer 'W': external data file 'w.bin' does not exist in");
        Files.write(dir.resolve("w.bin"), new byte[40]);
        assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: initializer 'W': external data file 'w.bin' is 40 bytes, too short for 48 bytes at offset 0");
    }

    /** The tiny model with W stored in an external file. */
    static GraphProto withExternalW(String location, long offset) {
        TensorProto w = TensorProto.newBuilder()
                .setName("W")
                .setDataType(FLOAT)
                .addDims(4)
                .addDims(3)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(
                        StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(
                        StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)))
                .addExternalData(
                        StringStringEntryProto.newBuilder().setKey("length").setValue("48"))
                .build();
        return matmulAdd().setInitializer(0, w).build();
    }
}
