package fsc.frontend.onnx;

import static fsc.frontend.onnx.OnnxTestSupport.assertOneLineError;
import static fsc.frontend.onnx.TinyModels.FLOAT;
import static fsc.frontend.onnx.TinyModels.INT64;
import static fsc.frontend.onnx.TinyModels.floatAttr;
import static fsc.frontend.onnx.TinyModels.intAttr;
import static fsc.frontend.onnx.TinyModels.model;
import static fsc.frontend.onnx.TinyModels.node;
import static fsc.frontend.onnx.TinyModels.value;
import static fsc.frontend.onnx.TinyModels.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import fsc.frontend.onnx.proto.Onnx.AttributeProto;
import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Converters added for ONNX conformance: compile-time operands, lowerings checked by the interpreter, loud refusals. */
class ConformanceConvertersTest {
    @TempDir
    Path dir;

    private static AttributeProto stringAttr(String name, String v) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v))
                .build();
    }

    /** A run-time axis asks to be bound; once bound the IR node carries it as an attribute. */
    @Test
    void cumsumAxisMustBeKnownAndIsFoldedWhenBound() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 2L, 3L))
                .addInput(value("axis", INT64))
                .addNode(node("CumSum", "c", List.of("x", "axis"), List.of("y")))
                .addOutput(value("y", FLOAT, 2L, 3L))
                .build();
        Path file = write(dir, "model.onnx", model(g, 14));
        FscException e = assertOneLineError(() -> OnnxImporter.importModel(file), "the axis ('axis') must be known");
        assertEquals("bind it with --bind axis=FILE", e.hint());
        Graph bound = OnnxImporter.importModel(
                file,
                ImportOptions.defaults()
                        .withBinding("axis", HostTensor.ofLongs(new long[0], 1).toWeight()));
        Node cumsum = bound.nodes().stream()
                .filter(n -> n.op().equals("cumsum"))
                .findFirst()
                .orElseThrow();
        assertEquals(1, cumsum.inputs().size());
        assertEquals(1, cumsum.intAttr("axis"));
    }

    /** f16 Attention runs in f32 and rounds once: the f32 model's output rounded to f16, exactly. */
    @Test
    void halfAttentionIsTheF32AttentionRoundedOnce() {
        int float16 = fsc.frontend.onnx.proto.Onnx.TensorProto.DataType.FLOAT16_VALUE;
        Map<Integer, Graph> byType = new java.util.TreeMap<>();
        for (int type : List.of(FLOAT, float16)) {
            GraphProto g = GraphProto.newBuilder()
                    .addInput(value("q", type, 1L, 2L, 3L, 4L))
                    .addInput(value("k", type, 1L, 2L, 5L, 4L))
                    .addInput(value("v", type, 1L, 2L, 5L, 4L))
                    .addNode(node("Attention", "a", List.of("q", "k", "v"), List.of("y")))
                    .addOutput(value("y", type, 1L, 2L, 3L, 4L))
                    .build();
            byType.put(type, OnnxImporter.importModel(write(dir, "attention" + type + ".onnx", model(g, 23))));
        }
        Random r = new Random(11);
        Map<String, HostTensor> half = new java.util.TreeMap<>();
        Map<String, HostTensor> full = new java.util.TreeMap<>();
        for (String name : List.of("q", "k", "v")) {
            long[] shape = name.equals("q") ? new long[] {1, 2, 3, 4} : new long[] {1, 2, 5, 4};
            HostTensor h = HostTensor.random(fsc.ir.DType.F16, shape, r);
            HostTensor f = HostTensor.zeros(fsc.ir.DType.F32, shape);
            for (int i = 0; i < h.size(); i++) {
                f.setDouble(i, h.getDouble(i));
            }
            half.put(name, h);
            full.put(name, f);
        }
        HostTensor y16 = new Interpreter(byType.get(float16)).run(half).get("y");
        HostTensor y32 = new Interpreter(byType.get(FLOAT)).run(full).get("y");
        assertEquals(fsc.ir.DType.F16, y16.dtype());
        HostTensor rounded = HostTensor.zeros(fsc.ir.DType.F16, y32.shape());
        for (int i = 0; i < y32.size(); i++) {
            rounded.setDouble(i, y32.getDouble(i));
        }
        assertEquals(0.0, y16.maxAbsDiff(rounded));
    }

    /** Einsum's broadcast-product lowering against a hand-written matrix product. */
    @Test
    void einsumMatrixProductMatchesAReferenceLoop() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("a", FLOAT, 3L, 4L))
                .addInput(value("b", FLOAT, 4L, 5L))
                .addNode(node("Einsum", "e", List.of("a", "b"), List.of("y"), stringAttr("equation", "ij, jk -> ki")))
                .addOutput(value("y", FLOAT, 5L, 3L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 12)));
        Random r = new Random(5);
        HostTensor a = HostTensor.random(fsc.ir.DType.F32, new long[] {3, 4}, r);
        HostTensor b = HostTensor.random(fsc.ir.DType.F32, new long[] {4, 5}, r);
        HostTensor y = new Interpreter(graph).run(Map.of("a", a, "b", b)).get("y");
        for (int k = 0; k < 5; k++) {
            for (int i = 0; i < 3; i++) {
                double sum = 0;
                for (int j = 0; j < 4; j++) {
                    sum += a.getDouble(i * 4 + j) * b.getDouble(j * 5 + k);
                }
                assertEquals(sum, y.getDouble(k * 3 + i), 1e-5);
            }
        }
    }

    @Test
    void unsupportedVariantsFailNamingTheNode() {
        GraphProto det = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 7L, 7L))
                .addNode(node("Det", "d", List.of("x"), List.of("y")))
                .addOutput(value("y", FLOAT))
                .build();
        assertOneLineError(
                () -> OnnxImporter.importModel(write(dir, "det.onnx", model(det, 22))),
                "computes determinants up to order 6 (Leibniz formula), got 7");
        GraphProto lstm = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 2L, 1L, 3L))
                .addInput(value("w", FLOAT, 1L, 8L, 3L))
                .addInput(value("r", FLOAT, 1L, 8L, 2L))
                .addNode(node(
                        "LSTM",
                        "l",
                        List.of("x", "w", "r"),
                        List.of("", "h"),
                        intAttr("hidden_size", 2),
                        floatAttr("clip", 3f)))
                .addOutput(value("h", FLOAT, 1L, 1L, 2L))
                .build();
        FscException e = assertOneLineError(
                () -> OnnxImporter.importModel(write(dir, "lstm.onnx", model(lstm, 14))),
                "the 'clip' attribute is not supported");
        assertTrue(e.getMessage().contains("LSTM"), e.getMessage());
    }

    private static NodeProto ml(NodeProto n) {
        return n.toBuilder().setDomain("ai.onnx.ml").build();
    }

    /** Ops of ai.onnx.ml: Binarizer on integers compares with floor(threshold); ArrayFeatureExtractor gathers columns. */
    @Test
    void mlBinarizerAndArrayFeatureExtractor() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", INT64, 4L))
                .addInput(value("f", FLOAT, 2L, 3L))
                .addInput(value("k", INT64, 2L))
                .addNode(ml(node("Binarizer", "b", List.of("x"), List.of("y"), floatAttr("threshold", -0.5f))))
                .addNode(ml(node("ArrayFeatureExtractor", "a", List.of("f", "k"), List.of("z"))))
                .addOutput(value("y", INT64, 4L))
                .addOutput(value("z", FLOAT, 2L, 2L))
                .build();
        ModelProto m = model(g, 18).toBuilder()
                .addOpsetImport(
                        OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(1))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "ml.onnx", m));
        Map<String, HostTensor> out = new Interpreter(graph)
                .run(Map.of(
                        "x", HostTensor.ofLongs(new long[] {4}, -3, -1, 0, 2),
                        "f", HostTensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6),
                        "k", HostTensor.ofLongs(new long[] {2}, 2, 0)));
        // -0.5 < 0 and 2 only: truncating the threshold to 0 would wrongly drop 0.
        assertArrayEquals(new long[] {0, 0, 1, 1}, out.get("y").toLongArray());
        assertArrayEquals(new float[] {3, 1, 6, 4}, out.get("z").toFloatArray());
    }

    /** BitShift picks its IR op by direction, BitCast keeps the bits, RoiAlign-10 defaults to output_half_pixel. */
    @Test
    void bitShiftBitCastAndRoiAlignImport() {
        int u64 = TensorProto.DataType.UINT64_VALUE;
        int i32 = TensorProto.DataType.INT32_VALUE;
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", u64, 2L))
                .addInput(value("s", u64, 2L))
                .addInput(value("f", FLOAT, 2L))
                .addNode(node("BitShift", "shr", List.of("x", "s"), List.of("y"), stringAttr("direction", "RIGHT")))
                .addNode(node("BitCast", "bits", List.of("f"), List.of("b"), intAttr("to", i32)))
                .addOutput(value("y", u64, 2L))
                .addOutput(value("b", i32, 2L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "bits.onnx", model(g, 26)));
        assertTrue(
                graph.nodes().stream().anyMatch(n -> n.op().equals("bit_shift_right")),
                graph.nodes().toString());
        Map<String, HostTensor> out = new Interpreter(graph)
                .run(Map.of(
                        "x", HostTensor.ofInts(fsc.ir.DType.U64, new long[] {2}, -1L, 8),
                        "s", HostTensor.ofInts(fsc.ir.DType.U64, new long[] {2}, 60, 3),
                        "f", HostTensor.ofFloats(new long[] {2}, 1f, -0f)));
        assertArrayEquals(new long[] {15, 1}, out.get("y").toLongArray());
        assertArrayEquals(
                new long[] {0x3F80_0000L, Integer.MIN_VALUE}, out.get("b").toLongArray());

        GraphProto sideways = GraphProto.newBuilder()
                .addInput(value("x", u64, 2L))
                .addNode(node("BitShift", "s", List.of("x", "x"), List.of("y"), stringAttr("direction", "UP")))
                .addOutput(value("y", u64, 2L))
                .build();
        Path bad = write(dir, "up.onnx", model(sideways, 11));
        assertOneLineError(() -> OnnxImporter.importModel(bad), "direction must be \"LEFT\" or \"RIGHT\"");

        GraphProto roi = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 1L, 1L, 4L, 4L))
                .addInput(value("rois", FLOAT, 2L, 4L))
                .addInput(value("i", INT64, 2L))
                .addNode(node("RoiAlign", "r", List.of("x", "rois", "i"), List.of("y"), intAttr("output_width", 3)))
                .addOutput(value("y", FLOAT, 2L, 1L, 1L, 3L))
                .build();
        Node r = OnnxImporter.importModel(write(dir, "roi.onnx", model(roi, 10))).nodes().stream()
                .filter(n -> n.op().equals("roi_align"))
                .findFirst()
                .orElseThrow();
        assertEquals("output_half_pixel", r.strAttr("coordinate_transformation_mode"));
        assertEquals(3, r.intAttr("output_width"));
    }

    /** TfIdfVectorizer with a string pool needs string tokens (StringImportTest runs the supported form). */
    @Test
    void tfidfWithAStringPoolAndIntegerTokensIsRefused() {
        AttributeProto strings = AttributeProto.newBuilder()
                .setName("pool_strings")
                .setType(AttributeProto.AttributeType.STRINGS)
                .addStrings(ByteString.copyFromUtf8("a"))
                .build();
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", INT64, 4L))
                .addNode(node("TfIdfVectorizer", "t", List.of("x"), List.of("y"), strings))
                .addOutput(value("y", FLOAT, 1L))
                .build();
        Path file = write(dir, "tfidf.onnx", model(g, 9));
        assertOneLineError(() -> OnnxImporter.importModel(file), "pool_strings needs string tokens");
    }
}
