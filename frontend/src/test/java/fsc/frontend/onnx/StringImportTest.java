package fsc.frontend.onnx;

import static fsc.frontend.onnx.TinyModels.model;
import static fsc.frontend.onnx.TinyModels.node;
import static fsc.frontend.onnx.TinyModels.value;
import static fsc.frontend.onnx.TinyModels.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import fsc.frontend.onnx.proto.Onnx.AttributeProto;
import fsc.frontend.onnx.proto.Onnx.AttributeProto.AttributeType;
import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.StringData;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** String tensors through the ONNX importer: string_data, STRINGS and tensor attributes, extents. */
class StringImportTest {
    @TempDir
    Path dir;

    private static AttributeProto strings(String name, String... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.STRINGS);
        for (String v : values) {
            a.addStrings(ByteString.copyFromUtf8(v));
        }
        return a.build();
    }

    private static AttributeProto tensor(String name, TensorProto t) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeType.TENSOR)
                .setT(t)
                .build();
    }

    private static TensorProto stringTensor(String... values) {
        TensorProto.Builder t = TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.STRING_VALUE)
                .addDims(values.length);
        for (String v : values) {
            t.addStringData(ByteString.copyFromUtf8(v));
        }
        return t.build();
    }

    @Test
    void normalizerGetsAnExtentBoundedByItsInput() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", TensorProto.DataType.STRING_VALUE, 4L))
                .addNode(node("StringNormalizer", "n", List.of("x"), List.of("y"), strings("stopwords", "monday")))
                .addOutput(value("y", TensorProto.DataType.STRING_VALUE, "N"))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "model.onnx", model(g, 10)));
        Node n = graph.nodes().getFirst();
        assertEquals("string_normalizer", n.op());
        assertEquals(List.of("monday"), n.strsAttr("stopwords"));
        assertEquals("string[y_extent]", graph.outputs().getFirst().type().toString());
        assertEquals(4L, graph.symbols().get("y_extent"));
        HostTensor y = new Interpreter(graph)
                .run(Map.of("x", HostTensor.ofStrings(new long[] {4}, "monday", "tuesday", "Monday", "")))
                .get("y");
        // is_case_sensitive defaults to 0: "Monday" is a stopword too.
        assertArrayEquals(new String[] {"tuesday", ""}, y.toStringArray());
    }

    @Test
    void labelEncoderTensorAttributesBecomeLists() {
        TensorProto values = TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.INT16_VALUE)
                .addDims(2)
                .addInt32Data(5)
                .addInt32Data(6)
                .build();
        TensorProto dflt = TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.INT16_VALUE)
                .addDims(1)
                .addInt32Data(-9)
                .build();
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", TensorProto.DataType.STRING_VALUE, 3L))
                .addNode(node(
                                "LabelEncoder",
                                "le",
                                List.of("x"),
                                List.of("y"),
                                tensor("keys_tensor", stringTensor("a", "ü")),
                                tensor("values_tensor", values),
                                tensor("default_tensor", dflt))
                        .toBuilder()
                        .setDomain("ai.onnx.ml")
                        .build())
                .addOutput(value("y", TensorProto.DataType.INT16_VALUE, 3L))
                .build();
        ModelProto m = model(g, 20).toBuilder()
                .addOpsetImport(
                        OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(4))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "le.onnx", m));
        Node n = graph.nodes().getFirst();
        assertEquals(List.of("a", "ü"), n.strsAttr("keys_strings"));
        assertArrayEquals(new long[] {5, 6}, n.intsAttr("values_ints"));
        assertEquals(-9, n.intAttr("default_int"));
        assertEquals(DType.I16, n.typeAttr("to"));
        HostTensor y = new Interpreter(graph)
                .run(Map.of("x", HostTensor.ofStrings(new long[] {3}, "ü", "b", "a")))
                .get("y");
        assertArrayEquals(new long[] {6, -9, 5}, y.toLongArray());
        assertEquals(new Attr.Type(DType.I16), n.attrs().get("to"));
    }

    @Test
    void tfidfOverAStringPoolCountsStringNgrams() {
        AttributeProto mode = AttributeProto.newBuilder()
                .setName("mode")
                .setType(AttributeType.STRING)
                .setS(ByteString.copyFromUtf8("TF"))
                .build();
        GraphProto g = GraphProto.newBuilder()
                .addInput(value("x", TensorProto.DataType.STRING_VALUE, 5L))
                .addNode(node(
                        "TfIdfVectorizer",
                        "t",
                        List.of("x"),
                        List.of("y"),
                        mode,
                        TinyModels.intAttr("min_gram_length", 1),
                        TinyModels.intAttr("max_gram_length", 2),
                        TinyModels.intAttr("max_skip_count", 0),
                        TinyModels.intsAttr("ngram_counts", 0, 2),
                        TinyModels.intsAttr("ngram_indexes", 0, 1, 2),
                        strings("pool_strings", "a", "b", "a", "b")))
                .addOutput(value("y", TensorProto.DataType.FLOAT_VALUE, 3L))
                .build();
        Graph graph = OnnxImporter.importModel(write(dir, "tfidf.onnx", model(g, 9)));
        assertEquals(
                List.of("label_encoder", "tfidf_vectorizer"),
                graph.nodes().stream().map(Node::op).toList());
        HostTensor y = new Interpreter(graph)
                .run(Map.of("x", HostTensor.ofStrings(new long[] {5}, "a", "b", "b", "z", "a")))
                .get("y");
        // unigrams a and b twice each, the bigram (a, b) once; "z" matches nothing.
        assertArrayEquals(new float[] {2, 2, 1}, y.toFloatArray());
    }

    @Test
    void stringTensorFilesRoundTrip() {
        WeightData w = new WeightData(DType.STRING, List.of(2L, 2L), StringData.encode(List.of("", "中", "a b", "\n")));
        Path file = dir.resolve("s.pb");
        OnnxTensors.write(file, "s", w);
        WeightData back = OnnxTensors.read(file).data();
        assertEquals(List.of(2L, 2L), back.dims());
        assertEquals(List.of("", "中", "a b", "\n"), StringData.decode(back.view()));
    }
}
