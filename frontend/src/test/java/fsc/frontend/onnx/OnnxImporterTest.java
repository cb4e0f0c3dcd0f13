package fsc.frontend.onnx;

import static fsc.frontend.onnx.TinyModels.FLOAT;
import static fsc.frontend.onnx.TinyModels.INT64;
import static fsc.frontend.onnx.TinyModels.floatAttr;
import static fsc.frontend.onnx.TinyModels.floats;
import static fsc.frontend.onnx.TinyModels.intAttr;
import static fsc.frontend.onnx.TinyModels.intsAttr;
import static fsc.frontend.onnx.TinyModels.longs;
import static fsc.frontend.onnx.TinyModels.matmulAdd;
import static fsc.frontend.onnx.TinyModels.model;
import static fsc.frontend.onnx.TinyModels.node;
import static fsc.frontend.onnx.TinyModels.tensorAttr;
import static fsc.frontend.onnx.TinyModels.value;
import static fsc.frontend.onnx.TinyModels.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImporterTest {
    @TempDir
    Path dir;

    private static List<String> ops(Graph g) {
        return g.nodes().stream().map(Node::op).toList();
    }

    private static TensorType type(String text, Object... dims) {
        List<Dim> d = new ArrayList<>();
        for (Object o : dims) {
            d.add(o instanceof String s ? Dim.sym(s) : Dim.of(((Number) o).longValue()));
        }
        return new TensorType(DType.fromIrName(text), d);
    }

    @Test
    void matmulAddBecomesTypedNodesConstantsAndMetadata() {
        Path file = write(dir, "model.onnx", model(matmulAdd().build(), 14));
        Graph g = OnnxImporter.importModel(file, ImportOptions.defaults());

        assertEquals("tiny", g.name());
        assertEquals(1, g.inputs().size());
        assertEquals("x", g.inputs().getFirst().name());
        assertEquals(type("f32", "batch", 4), g.inputs().getFirst().type());
        assertEquals(List.of("matmul", "add"), ops(g));
        assertEquals(List.of("mm", "bias"), g.nodes().stream().map(Node::name).toList());
        assertEquals("y", g.outputs().getFirst().name());
        assertEquals(type("f32", "batch", 3), g.outputs().getFirst().type());
        // batch-like symbols get the batch default bound
        assertEquals(64L, g.symbols().get("batch"));

        assertEquals(
                List.of("W", "b"), g.constants().stream().map(Constant::weight).toList());
        WeightData w = g.weights().get("W");
        assertEquals(List.of(4L, 3L), w.dims());
        assertEquals(12f, w.view().getFloat(11 * 4));
        WeightData b = g.weights().get("b");
        assertEquals(2.5f, b.view().getFloat(8));

        assertEquals("model.onnx", g.metadata().get("source"));
        assertEquals(64, g.metadata().get("source.sha256").length());
        assertEquals("14", g.metadata().get("onnx.opset"));
        assertEquals("8", g.metadata().get("onnx.ir_version"));
        assertEquals("fsc-tests 1", g.metadata().get("onnx.producer"));
    }

    @Test
    void unsortedNodesAreSortedStably() {
        GraphProto.Builder g = matmulAdd();
        NodeProto mm = g.getNode(0);
        NodeProto add = g.getNode(1);
        g.clearNode()
                .addNode(add)
                .addNode(node("Relu", "r", List.of("x"), List.of("rx")))
                .addNode(mm);
        g.addOutput(value("rx", FLOAT, "batch", 4L));
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g.build(), 14)));
        // relu is ready first in file order; matmul must precede add
        assertEquals(List.of("relu", "matmul", "add"), ops(graph));
    }

    @Test
    void shapeArithmeticResolvesToSymbolicReshapeTarget() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, "batch", "seq", 8L))
                .addInitializer(longs("zero", List.of(), 0))
                .addInitializer(longs("one", List.of(), 1))
                .addInitializer(longs("axes0", List.of(1L), 0))
                .addInitializer(longs("heads", List.of(2L), 2, 4))
                .addNode(node("Shape", "shape", List.of("x"), List.of("s")))
                .addNode(node("Gather", "g0", List.of("s", "zero"), List.of("b"), intAttr("axis", 0)))
                .addNode(node("Gather", "g1", List.of("s", "one"), List.of("t")))
                .addNode(node("Unsqueeze", "u0", List.of("b", "axes0"), List.of("ub")))
                .addNode(node("Unsqueeze", "u1", List.of("t", "axes0"), List.of("ut")))
                .addNode(node("Concat", "cat", List.of("ub", "ut", "heads"), List.of("target"), intAttr("axis", 0)))
                .addNode(node("Reshape", "rs", List.of("x", "target"), List.of("y")))
                .addOutput(value("y", FLOAT, "batch", "seq", 2L, 4L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 14)));
        assertEquals(
                type("f32", "batch", "seq", 2, 4), graph.outputs().getFirst().type());
        assertEquals(type("i64", 4), graph.nodes().get(5).output().type());
        assertEquals(512L, graph.symbols().get("seq"));
    }

    @Test
    void constantNodesBecomeConstants() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 2L, 3L))
                .addNode(node("Constant", "c1", List.of(), List.of("two"), floatAttr("value_float", 2f)))
                .addNode(node("Constant", "c2", List.of(), List.of("shape"), intsAttr("value_ints", 3, 2)))
                .addNode(node(
                        "Constant",
                        "c3",
                        List.of(),
                        List.of("bias"),
                        tensorAttr("value", floats("", List.of(3L), 1, 2, 3))))
                .addNode(node("Mul", "m", List.of("x", "two"), List.of("x2")))
                .addNode(node("Add", "a", List.of("x2", "bias"), List.of("x3")))
                .addNode(node("Reshape", "r", List.of("x3", "shape"), List.of("y")))
                .addOutput(value("y", FLOAT, 3L, 2L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 14)));
        assertEquals(List.of("mul", "add", "reshape"), ops(graph));
        assertEquals(
                List.of("two", "shape", "bias"),
                graph.constants().stream().map(c -> c.value().name()).toList());
        assertEquals(type("f32"), graph.constants().getFirst().value().type());
        assertEquals(2f, graph.weights().get("two").view().getFloat(0));
        assertEquals(type("f32", 3, 2), graph.outputs().getFirst().type());
    }

    @Test
    void opset11SoftmaxIsCoercedTo2dAndUnsqueezeTakesAttributeAxes() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, "batch", 3L, 4L))
                .addNode(node("Softmax", "sm1", List.of("x"), List.of("p1"))) // axis defaults to 1
                .addNode(node("Softmax", "sm2", List.of("x"), List.of("p2"), intAttr("axis", 2)))
                .addNode(node("Unsqueeze", "u", List.of("p2"), List.of("p3"), intsAttr("axes", 0)))
                .addOutput(value("p1", FLOAT, "batch", 3L, 4L))
                .addOutput(value("p3", FLOAT, 1L, "batch", 3L, 4L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 11)));
        assertEquals(List.of("reshape", "softmax", "reshape", "softmax", "unsqueeze"), ops(graph));
        Node flatten = graph.nodes().getFirst();
        assertEquals(
                new Attr.Dims(List.of(Dim.sym("batch"), Dim.of(12))),
                flatten.attrs().get("shape"));
        assertEquals(type("f32", "batch", 12), flatten.output().type());
        assertEquals(1L, graph.nodes().get(1).intAttr("axis"));
        assertEquals(type("f32", "batch", 3, 4), graph.outputs().getFirst().type());
        assertEquals(-1L, graph.nodes().get(3).intAttr("axis"));
        assertEquals(new Attr.Ints(List.of(0L)), graph.nodes().get(4).attrs().get("axes"));
        assertEquals(type("f32", 1, "batch", 3, 4), graph.outputs().get(1).type());
    }

    @Test
    void gemmAndReduceAttributesAreRenamed() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("a", FLOAT, 4L, 2L))
                .addInitializer(floats("w", List.of(3L, 2L), 1, 2, 3, 4, 5, 6))
                .addNode(node(
                        "Gemm",
                        "gemm",
                        List.of("a", "w"),
                        List.of("g"),
                        intAttr("transB", 1),
                        floatAttr("alpha", 0.5f)))
                .addNode(node(
                        "ReduceMean", "rm", List.of("g"), List.of("m"), intsAttr("axes", -1), intAttr("keepdims", 0)))
                .addOutput(value("m", FLOAT, 4L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 14)));
        Node gemm = graph.nodes().getFirst();
        assertEquals(1L, gemm.intAttr("trans_b"));
        assertEquals(0.5, gemm.floatAttr("alpha"));
        assertEquals(type("f32", 4, 3), gemm.output().type());
        assertEquals(type("f32", 4), graph.outputs().getFirst().type());
    }

    @Test
    void inputThatIsAlsoAnInitializerIsAConstant() {
        GraphProto g = matmulAdd().addInput(value("W", FLOAT, 4L, 3L)).build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 9)));
        assertEquals(List.of("x"), graph.inputs().stream().map(Value::name).toList());
        assertEquals(2, graph.constants().size());
    }

    @Test
    void boundInputBecomesAConstantAndResolvesTheReshape() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 2L, 6L))
                .addInput(value("shape", INT64, 3L))
                .addNode(node("Reshape", "r", List.of("x", "shape"), List.of("y")))
                .addOutput(value("y", FLOAT, null, null, null))
                .build();
        Path file = write(dir, "model.onnx", model(g, 14));
        OnnxTestSupport.assertOneLineError(
                () -> OnnxImporter.importModel(file),
                "model.onnx: node 'r' (Reshape): the target shape (input 1, value 'shape') is computed at run time");

        ByteBuffer shape = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        shape.putLong(3).putLong(2).putLong(2).flip();
        ImportOptions opts =
                ImportOptions.defaults().withBinding("shape", new WeightData(DType.I64, List.of(3L), shape));
        Graph graph = OnnxImporter.importModel(file, opts);
        assertEquals(List.of("x"), graph.inputs().stream().map(Value::name).toList());
        assertEquals(type("f32", 3, 2, 2), graph.outputs().getFirst().type());
    }

    @Test
    void symbolsAreSanitisedUnnamedDimsGetFreshSymbolsAndBoundsOverride() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("ids", INT64, "batch size", "2seq", null))
                .addNode(node("Identity", "id", List.of("ids"), List.of("out")))
                .addOutput(value("out", INT64, null, null, null))
                .build();
        Path file = write(dir, "model.onnx", model(g, 14));
        Graph graph = OnnxImporter.importModel(file, ImportOptions.defaults().withBound("2seq", 128));
        assertEquals(
                type("i64", "batch_size", "_2seq", "ids_2"),
                graph.inputs().getFirst().type());
        assertEquals(64L, graph.symbols().get("batch_size"));
        assertEquals(128L, graph.symbols().get("_2seq"));
        assertEquals(512L, graph.symbols().get("ids_2"));

        OnnxTestSupport.assertOneLineError(
                () -> OnnxImporter.importModel(file, ImportOptions.defaults().withBound("sequence", 128)),
                "model.onnx: a bound is given for symbol 'sequence', but the model's inputs have no such dimension");
    }

    @Test
    void outputThatIsAnInputKeepsItsDeclaredName() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 2L))
                .addNode(node("Identity", "id", List.of("x"), List.of("y")))
                .addOutput(value("y", FLOAT, 2L))
                .addOutput(value("x", FLOAT, 2L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 14)));
        assertEquals(
                List.of("y", "x"), graph.outputs().stream().map(Value::name).toList());
        assertSame(graph.inputs().getFirst(), graph.outputs().get(1));
    }

    @Test
    void sliceWithStepsButNoAxesGetsDefaultAxes() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 10L, 4L))
                .addInitializer(longs("starts", List.of(1L), 1))
                .addInitializer(longs("ends", List.of(1L), 9))
                .addInitializer(longs("steps", List.of(1L), 2))
                .addNode(node("Slice", "sl", List.of("x", "starts", "ends", "", "steps"), List.of("y")))
                .addOutput(value("y", FLOAT, 4L, 4L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 13)));
        assertEquals(type("f32", 4, 4), graph.outputs().getFirst().type());
        assertEquals(5, graph.nodes().getFirst().inputs().size());
    }

    @Test
    void variadicMaxBecomesAChain() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("a", FLOAT, 3L))
                .addInput(value("b", FLOAT, 3L))
                .addInput(value("c", FLOAT, 1L))
                .addNode(node("Max", "mx", List.of("a", "b", "c"), List.of("y")))
                .addOutput(value("y", FLOAT, 3L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 13)));
        assertEquals(List.of("max", "max"), ops(graph));
        assertEquals("y", graph.nodes().get(1).output().name());
    }

    @Test
    void aLaterConstantRedefinitionWinsAsInOnnxRuntime() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, 12L))
                .addNode(node("Constant", "old", List.of(), List.of("shape"), intsAttr("value_ints", 3, 4)))
                .addNode(node("Reshape", "r", List.of("x", "shape"), List.of("y")))
                .addNode(node("Constant", "new", List.of(), List.of("shape"), intsAttr("value_ints", 6, 2)))
                .addOutput(value("y", FLOAT, 6L, 2L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 14)));
        assertEquals(type("f32", 6, 2), graph.outputs().getFirst().type());
        assertEquals(1, graph.constants().size());
    }
}
