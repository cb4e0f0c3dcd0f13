package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.ir.Attr;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Generated code is product code: the source for a small layer is pinned in
 * {@code src/test/resources/snapshots/}. On a change the test writes the new source to
 * {@code target/snapshots/} so it can be reviewed and copied over the pinned one.
 */
class GeneratedSourceSnapshotTest {
    static Graph layer() {
        GraphBuilder b = new GraphBuilder("layer").symbol("S", 32);
        Value x = b.input("x", f32("S", 24));
        Value w = b.constant("dense.weight", TestGraphs.randomWeight(50, 24, 8));
        Value bias = b.constant("dense.bias", TestGraphs.randomWeight(51, 8));
        Value h = b.node("matmul", "/dense/MatMul", List.of(x, w), Map.of());
        Value hb = b.node("add", "/dense/Add", List.of(h, bias), Map.of());
        Value g = b.node("gelu", "/act/Gelu", List.of(hb), Map.of());
        Value residual = b.input("residual", f32("S", 8));
        Value sum = b.node("add", "/res/Add", List.of(g, residual), Map.of());
        b.output(b.node("softmax", "/out/Softmax", List.of(sum), attrs("axis", new Attr.Int(-1))));
        return b.build();
    }

    @Test
    void layerSourceMatchesSnapshot() throws Exception {
        String actual = JavaBackend.sources(
                        layer(), JavaBackendOptions.forModel("layer").withSource("layer.onnx", "0f0f"))
                .getFirst();
        String expected = "(no snapshot yet)";
        try (InputStream in = getClass().getResourceAsStream("/snapshots/LayerModel.java.txt")) {
            if (in != null) {
                expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        if (!expected.equals(actual)) {
            Path out = Path.of("target", "snapshots", "LayerModel.java.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, actual);
        }
        assertEquals(expected, actual, "generated source changed; review target/snapshots/LayerModel.java.txt");
    }
}
