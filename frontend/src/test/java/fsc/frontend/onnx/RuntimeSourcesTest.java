package fsc.frontend.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A value that must be known at compile time but is computed from a graph input: the error names the
 * input (the one thing a user can bind), and once it is bound the computation is evaluated at import
 * so the shape that needed it is known.
 */
class RuntimeSourcesTest {
    @TempDir
    Path dir;

    /** {@code y = Range(0, Cast<float>(n) * 0.5, 1)}: a float range whose limit is computed from input n. */
    private Path model() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(TinyModels.value("n", TinyModels.INT64))
                .addInitializer(TinyModels.floats("zero", List.of(), 0f))
                .addInitializer(TinyModels.floats("half", List.of(), 0.5f))
                .addInitializer(TinyModels.floats("one", List.of(), 1f))
                .addNode(TinyModels.node(
                        "Cast", "cast", List.of("n"), List.of("nf"), TinyModels.intAttr("to", TinyModels.FLOAT)))
                .addNode(TinyModels.node("Mul", "mul", List.of("nf", "half"), List.of("limit")))
                .addNode(TinyModels.node("Range", "range", List.of("zero", "limit", "one"), List.of("y")))
                .addOutput(TinyModels.value("y", TinyModels.FLOAT, 4L))
                .build();
        return TinyModels.write(dir, "model.onnx", TinyModels.model(g, 13));
    }

    @Test
    void theHintNamesTheGraphInputBehindAnIntermediate() {
        FscException e =
                assertThrows(FscException.class, () -> OnnxImporter.importModel(model(), ImportOptions.defaults()));
        assertTrue(e.getMessage().contains("limit ('limit') must be known at compile time"), e.getMessage());
        assertTrue(e.getMessage().contains("depends on graph input 'n'"), e.getMessage());
        assertEquals("bind it with --bind n=FILE", e.hint());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void bindingTheInputEvaluatesWhatDependsOnIt() {
        ByteBuffer seven = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 7);
        Graph g = OnnxImporter.importModel(
                model(), ImportOptions.defaults().withBinding("n", new WeightData(DType.I64, List.of(), seven)));
        // ceil(3.5 / 1) = 4 elements: the limit was folded from the bound n.
        assertEquals("f32[4]", g.outputs().getFirst().type().toString());
    }
}
