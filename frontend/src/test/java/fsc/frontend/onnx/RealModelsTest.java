package fsc.frontend.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.ops.Ops;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real models: all-MiniLM-L6-v2 from its Maven jar, and the small models in shared/data/onnx/models. */
class RealModelsTest {
    @TempDir
    Path dir;

    private static Path sharedModel(String name) {
        return OnnxTestSupport.sharedData().resolve("onnx/models/" + name);
    }

    @Test
    void miniLmImportsWithEveryTypeInferred() {
        Path file = OnnxTestSupport.resource("all-minilm-l6-v2.onnx", dir);
        Graph g = OnnxImporter.importModel(file);

        // The export declares every input as [batch, batch]; the second axis is the sequence.
        TensorType ids = new TensorType(DType.I64, List.of(Dim.sym("batch"), Dim.sym("batch_1")));
        assertEquals(
                List.of("input_ids", "attention_mask", "token_type_ids"),
                g.inputs().stream().map(Value::name).toList());
        for (Value in : g.inputs()) {
            assertEquals(ids, in.type(), in.name());
        }
        assertEquals(64L, g.symbols().get("batch"));
        assertEquals(512L, g.symbols().get("batch_1"));

        assertEquals(
                List.of("output_0", "882"),
                g.outputs().stream().map(Value::name).toList());
        assertEquals(
                new TensorType(DType.F32, List.of(Dim.sym("batch"), Dim.sym("batch_1"), Dim.of(384))),
                g.outputs().get(0).type());
        assertEquals(
                new TensorType(DType.F32, List.of(Dim.sym("batch"), Dim.of(384))),
                g.outputs().get(1).type());

        for (Node n : g.nodes()) {
            assertTrue(Ops.exists(n.op()), n.op());
            for (Value out : n.outputs()) {
                for (Dim d : out.type().dims()) {
                    assertTrue(d.coeff() >= 0 && g.symbols().keySet().containsAll(d.symbols()), () -> n + " " + out);
                }
            }
        }
        assertEquals(
                List.of(),
                g.inputs().stream().filter(v -> g.constantOf(v) != null).toList());
        assertEquals("14", g.metadata().get("onnx.opset"));
        assertEquals("pytorch 1.13.0", g.metadata().get("onnx.producer"));
        // 6 layers of 16 weight matrices and vectors, plus embeddings and the pooler
        assertTrue(
                g.weights().byName().size() > 100,
                () -> "weights: " + g.weights().byName().size());
        assertTrue(
                g.weights().byName().values().stream().allMatch(w -> w.bytes().isDirect()));
    }

    @Test
    void mnistCnnsImportWithStaticTypes() {
        for (String name : List.of("mnist.onnx", "cnn_mnist_pytorch.onnx")) {
            Graph g = OnnxImporter.importModel(sharedModel(name));
            assertTrue(g.nodes().stream().anyMatch(n -> n.op().equals("conv")), name + " has no conv node");
            assertTrue(g.outputs().stream().allMatch(v -> v.type().isStatic()), name + ": " + g.outputs());
        }
    }

    /**
     * gpt2_past's present is its past plus the new token: a sum of a symbol and a number, typed at
     * import with the past length left symbolic (the position ids are range(P, P+1)).
     */
    @Test
    void gpt2PastTypesItsPresentAsPastPlusOne() {
        Graph g = OnnxImporter.importModel(sharedModel("gpt2_past.onnx"));
        for (var out : g.outputs()) {
            if (out.name().startsWith("present_")) {
                assertEquals("f32[2,batch_size,2,seq_len+1,2]", out.type().toString(), out.name());
            }
        }
        assertEquals("f32[batch_size,1,4]", g.outputs().getFirst().type().toString());
    }

    /** gpt2_past.onnx stores its nodes out of order; the sorted order must respect every edge. */
    @Test
    void gpt2PastNodesAreSortedTopologically() {
        ModelProto m = ProtoFiles.parse(sharedModel("gpt2_past.onnx"), ModelProto.parser(), "model")
                .message();
        GraphProto g = m.getGraph();
        Set<String> available = new HashSet<>();
        g.getInputList().stream().map(ValueInfoProto::getName).forEach(available::add);
        g.getInitializerList().stream().map(TensorProto::getName).forEach(available::add);
        // 48 Constant nodes are redefined by Constant nodes appended at the end; the last ones count.
        List<NodeProto> nodes = NodeOrder.withoutShadowedConstants(g.getNodeList());
        assertEquals(g.getNodeCount() - 48, nodes.size());

        List<Integer> order = NodeOrder.sort(nodes, available, "gpt2_past.onnx", i -> "#" + i);

        assertEquals(nodes.size(), new HashSet<>(order).size());
        assertNotEquals(IntStream.range(0, nodes.size()).boxed().toList(), order, "the file is not sorted already");
        assertTrue(respectsEdges(nodes, available, order));
        assertTrue(!respectsEdges(
                nodes, available, IntStream.range(0, nodes.size()).boxed().toList()));
    }

    private static boolean respectsEdges(List<NodeProto> nodes, Set<String> available, List<Integer> order) {
        Set<String> defined = new HashSet<>(available);
        List<Integer> seen = new ArrayList<>();
        for (int i : order) {
            for (String in : nodes.get(i).getInputList()) {
                if (!in.isEmpty() && !defined.contains(in)) {
                    return false;
                }
            }
            defined.addAll(nodes.get(i).getOutputList());
            seen.add(i);
        }
        return true;
    }
}
