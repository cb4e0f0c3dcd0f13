package fsc.frontend.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.onnx.proto.Onnx.AttributeProto;
import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.ir.FscException;
import fsc.ir.Graph;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What real exports need before they compile: an input whose sizes are symbolic fixed to a shape
 * ({@code --shape}, {@code fsc run}'s first-shape specialisation), and values computed from constants
 * and shapes alone evaluated when a converter needs them (silero VAD v5's STFT pads and its
 * shape-tested {@code If}s).
 */
class InputSpecialisationTest {
    @TempDir
    Path dir;

    /** {@code y = Conv(x, w)}, 3x3 kernel, {@code x: [N, 1, H, W]} all symbolic but the channels. */
    private Path conv() {
        return conv(false);
    }

    /** The same conv; with {@code same}, SAME_UPPER padding at stride 2 (pads that depend on the size). */
    private Path conv(boolean same) {
        float[] w = new float[9];
        java.util.Arrays.fill(w, 1f);
        GraphProto g = GraphProto.newBuilder()
                .addInput(TinyModels.value("x", TinyModels.FLOAT, "N", 1L, "H", "W"))
                .addInitializer(TinyModels.floats("w", List.of(1L, 1L, 3L, 3L), w))
                .addNode(
                        same
                                ? TinyModels.node(
                                        "Conv",
                                        "conv",
                                        List.of("x", "w"),
                                        List.of("y"),
                                        TinyModels.intsAttr("kernel_shape", 3, 3),
                                        TinyModels.intsAttr("strides", 2, 2),
                                        AttributeProto.newBuilder()
                                                .setName("auto_pad")
                                                .setType(AttributeProto.AttributeType.STRING)
                                                .setS(com.google.protobuf.ByteString.copyFromUtf8("SAME_UPPER"))
                                                .build())
                                : TinyModels.node(
                                        "Conv",
                                        "conv",
                                        List.of("x", "w"),
                                        List.of("y"),
                                        TinyModels.intsAttr("kernel_shape", 3, 3)))
                .addOutput(TinyModels.value("y", TinyModels.FLOAT, "N", 1L, null, null))
                .build();
        return TinyModels.write(dir, same ? "same.onnx" : "conv.onnx", TinyModels.model(g, 13));
    }

    @Test
    void symbolicSpatialSizesImportAsIsOrNameTheShapeOption() {
        // Explicit pads: the output's sizes are H-2 and W-2, symbolic.
        Graph g = OnnxImporter.importModel(conv(), ImportOptions.defaults());
        assertEquals("f32[N,1,H-2,W-2]", g.outputs().getFirst().type().toString());
        // SAME padding at stride 2: the pads depend on the size, so the shape must be fixed.
        FscException e =
                assertThrows(FscException.class, () -> OnnxImporter.importModel(conv(true), ImportOptions.defaults()));
        assertTrue(
                e.getMessage().contains("auto_pad SAME_UPPER with stride 2 needs fixed spatial sizes"), e.getMessage());
        assertTrue(e.hint().contains("--shape NAME=DIMS"), e.hint());
    }

    @Test
    void aFixedInputShapeCompilesTheConv() {
        Graph g = OnnxImporter.importModel(conv(), ImportOptions.defaults().withShape("x", List.of(2L, 1L, 7L, 5L)));
        assertEquals("f32[2,1,7,5]", g.inputs().getFirst().type().toString());
        assertEquals("f32[2,1,5,3]", g.outputs().getFirst().type().toString());
    }

    @Test
    void aShapeMustAgreeWithTheDeclaredOne() {
        FscException rank = assertThrows(
                FscException.class,
                () -> OnnxImporter.importModel(conv(), ImportOptions.defaults().withShape("x", List.of(1L, 7L, 5L))));
        assertTrue(
                rank.getMessage().contains("is declared [N,1,H,W]; it cannot be fixed to [1,7,5]"), rank.getMessage());
        FscException channels = assertThrows(
                FscException.class,
                () -> OnnxImporter.importModel(
                        conv(), ImportOptions.defaults().withShape("x", List.of(1L, 2L, 7L, 5L))));
        assertTrue(channels.getMessage().contains("cannot be fixed to [1,2,7,5]"), channels.getMessage());
        FscException name = assertThrows(
                FscException.class,
                () -> OnnxImporter.importModel(conv(), ImportOptions.defaults().withShape("z", List.of(1L))));
        assertTrue(name.getMessage().contains("--shape z: the model has no input named 'z'"), name.getMessage());
    }

    /**
     * {@code y = Pad(x, pads)} where pads = Concat(ConstantOfShape([2]) = [0, 0], [1, 2]): constant
     * after all, but only through a chain the converter has to evaluate.
     */
    @Test
    void padsComputedFromConstantsAreEvaluatedOnDemand() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(TinyModels.value("x", TinyModels.FLOAT, 3L, 4L))
                .addInitializer(TinyModels.longs("two", List.of(1L), 2))
                .addInitializer(TinyModels.longs("tail", List.of(2L), 1, 2))
                .addNode(TinyModels.node(
                        "ConstantOfShape",
                        "zeros",
                        List.of("two"),
                        List.of("z"),
                        TinyModels.tensorAttr("value", TinyModels.longs("v", List.of(1L), 0))))
                .addNode(TinyModels.node(
                        "Concat", "cat", List.of("z", "tail"), List.of("pads"), TinyModels.intAttr("axis", 0)))
                .addNode(TinyModels.node("Pad", "pad", List.of("x", "pads"), List.of("y")))
                .addOutput(TinyModels.value("y", TinyModels.FLOAT, null, null))
                .build();
        Graph imported = OnnxImporter.importModel(
                TinyModels.write(dir, "pad.onnx", TinyModels.model(g, 13)), ImportOptions.defaults());
        // pads [0, 0, 1, 2]: nothing before, 1 row and 2 columns after.
        assertEquals("f32[4,6]", imported.outputs().getFirst().type().toString());
    }

    /** Constant-mode Pad of a symbolic axis: blocks of the value around it, a sum of sizes. */
    @Test
    void constantPadOfASymbolicAxisIsASum() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(TinyModels.value("x", TinyModels.FLOAT, "N", "S"))
                .addInitializer(TinyModels.longs("pads", List.of(4L), 0, 1, 0, 2))
                .addNode(TinyModels.node("Pad", "pad", List.of("x", "pads"), List.of("y")))
                .addOutput(TinyModels.value("y", TinyModels.FLOAT, null, null))
                .build();
        Graph imported = OnnxImporter.importModel(
                TinyModels.write(dir, "pad_sym.onnx", TinyModels.model(g, 13)), ImportOptions.defaults());
        assertEquals("f32[N,S+3]", imported.outputs().getFirst().type().toString());
    }

    /**
     * {@code If(Shape(x)[1] == 1)} whose branches differ in type (squeeze axis 1 or keep x), as
     * PyTorch exports of silero VAD v5 write it: with x's shape known the condition is evaluated and
     * only the taken branch imported.
     */
    @Test
    void anIfTestingAKnownShapeIsInlined() {
        GraphProto squeeze = GraphProto.newBuilder()
                .setName("then")
                .addNode(TinyModels.node("Squeeze", "sq", List.of("x", "one"), List.of("t")))
                .addOutput(TinyModels.value("t", TinyModels.FLOAT, null, null))
                .build();
        GraphProto keep = GraphProto.newBuilder()
                .setName("else")
                .addNode(TinyModels.node("Identity", "id", List.of("x"), List.of("e")))
                .addOutput(TinyModels.value("e", TinyModels.FLOAT, null, null, null))
                .build();
        GraphProto g = GraphProto.newBuilder()
                .addInput(TinyModels.value("x", TinyModels.FLOAT, 2L, 1L, 3L))
                .addInitializer(TinyModels.longs("one", List.of(1L), 1))
                .addInitializer(TinyModels.longs("index", List.of(), 1))
                .addNode(TinyModels.node("Shape", "shape", List.of("x"), List.of("s")))
                .addNode(TinyModels.node("Gather", "gather", List.of("s", "index"), List.of("d")))
                .addNode(TinyModels.node("Equal", "eq", List.of("d", "index"), List.of("c")))
                .addNode(TinyModels.node(
                        "If",
                        "if",
                        List.of("c"),
                        List.of("y"),
                        graphAttr("then_branch", squeeze),
                        graphAttr("else_branch", keep)))
                .addOutput(TinyModels.value("y", TinyModels.FLOAT, null, null))
                .build();
        Graph imported = OnnxImporter.importModel(
                TinyModels.write(dir, "if.onnx", TinyModels.model(g, 13)), ImportOptions.defaults());
        assertEquals("f32[2,3]", imported.outputs().getFirst().type().toString());
        assertTrue(imported.nodes().stream().noneMatch(n -> n.hasRegions()), "the If was inlined");
    }

    private static AttributeProto graphAttr(String name, GraphProto g) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.GRAPH)
                .setG(g)
                .build();
    }
}
