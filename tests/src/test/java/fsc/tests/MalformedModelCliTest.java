package fsc.tests;

import static fsc.tests.OnnxProtos.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import fsc.cli.Main;
import fsc.frontend.onnx.proto.Onnx;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad models reach the user as one readable line and exit code 2: never a stack trace or a crash. */
class MalformedModelCliTest {
    @TempDir
    Path dir;

    record Outcome(int code, String out, String err) {}

    static Outcome fsc(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    void assertOneLineError(Outcome o, String mustContain) {
        assertEquals(2, o.code(), "exit code; stderr: " + o.err());
        String err = o.err().strip();
        assertFalse(err.contains("\n"), "error should be one line: " + err);
        assertFalse(err.contains("\tat "), "stack trace leaked: " + err);
        assertTrue(err.startsWith("fsc: error: "), err);
        assertTrue(err.contains(mustContain), "'" + mustContain + "' not in: " + err);
    }

    static Onnx.ModelProto.Builder matmulModel(Onnx.TensorProto weight) {
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder()
                .setName("g")
                .addInput(value("x", 2, 4))
                .addOutput(value("y", 2, 3))
                .addNode(Onnx.NodeProto.newBuilder()
                        .setName("mm")
                        .setOpType("MatMul")
                        .addInput("x")
                        .addInput("w")
                        .addOutput("y"));
        if (weight != null) {
            g.addInitializer(weight);
        }
        return Onnx.ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(
                        Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(14))
                .setGraph(g);
    }

    static Onnx.TensorProto.Builder weight() {
        return Onnx.TensorProto.newBuilder().setName("w").addDims(4).addDims(3).setDataType(1);
    }

    Path write(String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void wellFormedModelCompiles() throws Exception {
        byte[] raw = new byte[4 * 12];
        Path p = write(
                "ok.onnx",
                matmulModel(weight().setRawData(ByteString.copyFrom(raw)).build())
                        .build()
                        .toByteArray());
        Outcome o = fsc("compile", p.toString(), "-o", dir.resolve("ok.jar").toString(), "--quiet");
        assertEquals(0, o.code(), o.err());
    }

    @Test
    void truncatedModel() throws Exception {
        byte[] full = matmulModel(
                        weight().setRawData(ByteString.copyFrom(new byte[48])).build())
                .build()
                .toByteArray();
        Path p = write("truncated.onnx", Arrays.copyOf(full, full.length - 20));
        assertOneLineError(
                fsc("compile", p.toString(), "-o", dir.resolve("t.jar").toString()), "truncated.onnx");
    }

    @Test
    void garbageBytes() throws Exception {
        byte[] junk = new byte[1000];
        new java.util.Random(7).nextBytes(junk);
        Path p = write("garbage.onnx", junk);
        assertOneLineError(
                fsc("compile", p.toString(), "-o", dir.resolve("g.jar").toString()), "garbage.onnx");
    }

    @Test
    void wrongFieldTypes() throws Exception {
        // field 7 (graph) sent as a varint instead of a length-delimited message
        Path p = write("wrongtype.onnx", new byte[] {0x08, 0x08, 0x38, 0x05});
        assertOneLineError(fsc("inspect", p.toString()), "wrongtype.onnx");
        assertOneLineError(
                fsc("compile", p.toString(), "-o", dir.resolve("w.jar").toString()), "wrongtype.onnx");
    }

    @Test
    void missingInitializer() throws Exception {
        Path p = write("missing.onnx", matmulModel(null).build().toByteArray());
        assertOneLineError(
                fsc("compile", p.toString(), "-o", dir.resolve("m.jar").toString()), "'w'");
    }

    @Test
    void externalDataEscapingTheModelFolderIsRejected() throws Exception {
        Onnx.TensorProto w = weight().setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(Onnx.StringStringEntryProto.newBuilder()
                        .setKey("location")
                        .setValue("../../etc/passwd"))
                .build();
        Path p = write("escape.onnx", matmulModel(w).build().toByteArray());
        assertOneLineError(
                fsc("compile", p.toString(), "-o", dir.resolve("e.jar").toString()), "../../etc/passwd");
    }

    @Test
    void missingFile() {
        assertOneLineError(
                fsc(
                        "compile",
                        dir.resolve("nope.onnx").toString(),
                        "-o",
                        dir.resolve("n.jar").toString()),
                "nope.onnx");
    }
}
