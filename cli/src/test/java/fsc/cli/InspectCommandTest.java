package fsc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import fsc.frontend.onnx.proto.Onnx.TensorShapeProto;
import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fsc inspect} names dims as the importer does, so they match what --bound and every other command say. */
class InspectCommandTest {
    @TempDir
    Path dir;

    /**
     * all-MiniLM-L6-v2's shape: input [batch, batch] (one dim_param on two axes) and an output whose
     * dims the exporter named after a node ({@code Reluy_dim_1}).
     */
    @Test
    void dimsAreNamedAsTheImporterNamesThem() throws Exception {
        ModelProto model = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(14))
                .setGraph(GraphProto.newBuilder()
                        .setName("g")
                        .addNode(NodeProto.newBuilder()
                                .setOpType("Relu")
                                .setName("relu")
                                .addInput("x")
                                .addOutput("y"))
                        .addInput(tensor("x", "batch", "batch"))
                        .addOutput(tensor("y", "Reluy_dim_0", "Reluy_dim_1")))
                .build();
        Path file = dir.resolve("relu.onnx");
        Files.write(file, model.toByteArray());
        CliRun r = CliRun.of("inspect", file.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("x: f32[batch,batch_1]"), r.out());
        assertTrue(r.out().contains("y: f32[batch,batch_1]"), r.out());
        assertFalse(r.out().contains("Reluy_dim"), r.out());
        assertTrue(r.out().contains("symbols (upper bounds, set with --bound SYM=N): batch <= "), r.out());
    }

    /** --help says inspect takes an .fsir dump; it used to be read as ONNX ("not a valid ONNX model"). */
    @Test
    void anIrDumpIsDescribedAsIr() throws Exception {
        ModelProto model = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(14))
                .setGraph(GraphProto.newBuilder()
                        .setName("g")
                        .addNode(NodeProto.newBuilder()
                                .setOpType("Relu")
                                .setName("relu")
                                .addInput("x")
                                .addOutput("y"))
                        .addInput(tensor("x", "batch", "n"))
                        .addOutput(tensor("y", "batch", "n")))
                .build();
        Path file = dir.resolve("relu.onnx");
        Files.write(file, model.toByteArray());
        Path ir = dir.resolve("ir");
        CliRun c = CliRun.of(
                "compile", file.toString(), "-q", "-o", dir.resolve("relu.jar").toString(), "--dump-ir", ir.toString());
        assertEquals(0, c.exit(), c.err());
        Path first;
        try (var s = Files.list(ir)) {
            first = s.filter(p -> p.toString().endsWith(".fsir"))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
        }
        CliRun r = CliRun.of("inspect", first.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("fsc IR graph @"), r.out());
        assertTrue(r.out().contains("x: f32[batch,n]"), r.out());
        assertTrue(r.out().contains("relu "), r.out());
    }

    private static ValueInfoProto tensor(String name, String... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (String d : dims) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(d));
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setTensorType(
                                TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape)))
                .build();
    }
}
