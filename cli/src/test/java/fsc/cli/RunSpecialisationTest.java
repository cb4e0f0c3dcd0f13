package fsc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.compiler.CompileCache;
import fsc.compiler.CompileProgress;
import fsc.frontend.onnx.proto.Onnx.AttributeProto;
import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.frontend.onnx.proto.Onnx.TensorShapeProto;
import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import fsc.ir.FscException;
import fsc.runtime.CompiledModel;
import fsc.runtime.ModelJar;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fsc run model.onnx} on models whose convolution has symbolic spatial sizes (as PaddleOCR's
 * exports have): compiled as declared, bounded by the given inputs' sizes; and, where the conv cannot
 * take symbolic sizes (SAME padding at stride 2), compiled for the given input's shape, announced
 * once, cached by shape.
 */
class RunSpecialisationTest {
    @TempDir
    Path dir;

    /** {@code y = Conv(x, ones[1,1,3,3])} with {@code x: [N, 1, H, W]}; SAME_UPPER at stride 2 when {@code same}. */
    private Path model(boolean same) throws Exception {
        NodeProto.Builder conv = NodeProto.newBuilder()
                .setOpType("Conv")
                .setName("conv")
                .addInput("x")
                .addInput("w")
                .addOutput("y")
                .addAttribute(AttributeProto.newBuilder()
                        .setName("kernel_shape")
                        .setType(AttributeProto.AttributeType.INTS)
                        .addInts(3)
                        .addInts(3));
        if (same) {
            conv.addAttribute(AttributeProto.newBuilder()
                            .setName("strides")
                            .setType(AttributeProto.AttributeType.INTS)
                            .addInts(2)
                            .addInts(2))
                    .addAttribute(AttributeProto.newBuilder()
                            .setName("auto_pad")
                            .setType(AttributeProto.AttributeType.STRING)
                            .setS(com.google.protobuf.ByteString.copyFromUtf8("SAME_UPPER")));
        }
        TensorProto.Builder w = TensorProto.newBuilder()
                .setName("w")
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(List.of(1L, 1L, 3L, 3L));
        for (int i = 0; i < 9; i++) {
            w.addFloatData(1f);
        }
        TensorShapeProto.Builder xs = TensorShapeProto.newBuilder();
        for (Object d : List.of("N", 1L, "H", "W")) {
            xs.addDim(
                    d instanceof Long n
                            ? TensorShapeProto.Dimension.newBuilder().setDimValue(n)
                            : TensorShapeProto.Dimension.newBuilder().setDimParam((String) d));
        }
        GraphProto g = GraphProto.newBuilder()
                .setName("conv")
                .addInput(ValueInfoProto.newBuilder()
                        .setName("x")
                        .setType(TypeProto.newBuilder()
                                .setTensorType(TypeProto.Tensor.newBuilder()
                                        .setElemType(TensorProto.DataType.FLOAT_VALUE)
                                        .setShape(xs))))
                .addInitializer(w)
                .addNode(conv)
                .addOutput(ValueInfoProto.newBuilder()
                        .setName("y")
                        .setType(TypeProto.newBuilder()
                                .setTensorType(
                                        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))))
                .build();
        ModelProto m = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                .setGraph(g)
                .build();
        Path p = dir.resolve(same ? "same.onnx" : "conv.onnx");
        Files.write(p, m.toByteArray());
        return p;
    }

    @Test
    void aConvOverSymbolicSizesCompilesAsDeclaredWithBoundsFromTheInputs() throws Exception {
        Path model = model(false);
        Path input = dir.resolve("big.npy");
        // 600 rows: past the default bound of 512, so the bounds must come from the input.
        Npy.write(input, Tensor.ofFloats(new long[] {1, 1, 600, 5}, new float[600 * 5]));
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        RunSpecialisation.Result r = RunSpecialisation.jarFor(
                new CompileCache(dir.resolve("cache")),
                model,
                Map.of("x", input),
                CompileProgress.SILENT,
                new PrintStream(notes, true, StandardCharsets.UTF_8));
        assertEquals("", notes.toString(StandardCharsets.UTF_8), "compiled as declared: nothing to note");
        assertEquals(
                Map.of("N", 1L, "H", 600L, "W", 5L),
                RunSpecialisation.boundsFromInputs(model, Map.of("x", Npy.read(input))));
        try (CompiledModel m = ModelJar.open(r.jar(), 1)) {
            assertArrayEquals(
                    new long[] {1, 1, 598, 3},
                    m.run(Map.of("x", Npy.read(input))).get("y").shape());
        }
    }

    @Test
    void aModelWithSizeDependentPadsIsCompiledForTheGivenShape() throws Exception {
        Path model = model(true);
        float[] x = new float[4 * 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        Path input = dir.resolve("x.npy");
        Npy.write(input, Tensor.ofFloats(new long[] {1, 1, 4, 5}, x));
        CompileCache cache = new CompileCache(dir.resolve("cache"));
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        RunSpecialisation.Result r = RunSpecialisation.jarFor(
                cache,
                model,
                Map.of("x", input),
                CompileProgress.SILENT,
                new PrintStream(notes, true, StandardCharsets.UTF_8));
        String text = notes.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("fsc: note: same.onnx does not compile for every input size"), text);
        assertTrue(text.contains("compiled it for the given shapes x=1x1x4x5"), text);
        assertEquals(List.of(), r.boundInputs());
        try (CompiledModel m = ModelJar.open(r.jar(), 1)) {
            Tensor y = m.run(Map.of("x", Npy.read(input))).get("y");
            // SAME_UPPER at stride 2: ceil(4/2) x ceil(5/2), pads 0 before and 1 after on rows, 1 and 1
            // on columns.
            assertArrayEquals(new long[] {1, 1, 2, 3}, y.shape());
            // The top-left window covers rows 0-2 and columns -1..1 of 0..19 laid out 4x5.
            assertEquals(0f + 1 + 5 + 6 + 10 + 11, y.toFloatArray()[0]);
        }

        // The second run finds the specialised jar in the cache: no compile, no note.
        notes.reset();
        RunSpecialisation.Result again = RunSpecialisation.jarFor(
                cache,
                model,
                Map.of("x", input),
                CompileProgress.SILENT,
                new PrintStream(notes, true, StandardCharsets.UTF_8));
        assertEquals(r.jar(), again.jar());
        assertEquals("", notes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aModelNoSpecialisationCanRescueFailsWithOneErrorAndNoNote() throws Exception {
        Path model = dir.resolve("broken.onnx");
        Files.write(model, new byte[] {0x0a, (byte) 0xff, 0x7f, 0x12});
        Path input = dir.resolve("x.npy");
        Npy.write(input, Tensor.ofFloats(new long[] {1, 2}, new float[] {1, 2}));
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        FscException e = org.junit.jupiter.api.Assertions.assertThrows(
                FscException.class,
                () -> RunSpecialisation.jarFor(
                        new CompileCache(dir.resolve("cache")),
                        model,
                        Map.of("x", input),
                        CompileProgress.SILENT,
                        new PrintStream(notes, true, StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("broken.onnx"), e.getMessage());
        assertEquals("", notes.toString(StandardCharsets.UTF_8), "a note only says what worked");
    }
}
