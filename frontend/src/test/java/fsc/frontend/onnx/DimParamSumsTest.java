package fsc.frontend.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.ir.Graph;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decoder exports name a length made of others in its {@code dim_param} ({@code attention_mask:
 * [batch_size, "past_sequence_length + sequence_length"]}); imported as the sum of those symbols it
 * agrees with {@code concat(past, new)}, where a fresh symbol would not broadcast against the scores.
 * {@code --decoder} fixes {@code input_ids}' second axis to one, and the sums follow.
 */
class DimParamSumsTest {
    @TempDir
    Path dir;

    /** {@code y = concat(past, new) + mask}: past {@code [B,P]}, new {@code [B,S]}, mask {@code [B, P + S]}. */
    private Path model() {
        GraphProto g = GraphProto.newBuilder()
                .addInput(TinyModels.value("input_ids", TinyModels.FLOAT, "batch_size", "sequence_length"))
                .addInput(TinyModels.value("past", TinyModels.FLOAT, "batch_size", "past_sequence_length"))
                .addInput(TinyModels.value(
                        "mask", TinyModels.FLOAT, "batch_size", "past_sequence_length + sequence_length"))
                .addInput(TinyModels.value("shorter", TinyModels.FLOAT, "past_sequence_length - 1"))
                .addNode(TinyModels.node(
                        "Concat",
                        "concat",
                        List.of("past", "input_ids"),
                        List.of("all"),
                        TinyModels.intAttr("axis", 1)))
                .addNode(TinyModels.node("Add", "add", List.of("all", "mask"), List.of("y")))
                .addOutput(TinyModels.value("y", TinyModels.FLOAT, null, null))
                .addOutput(TinyModels.value("shorter", TinyModels.FLOAT, (Object) null))
                .build();
        return TinyModels.write(dir, "sums.onnx", TinyModels.model(g, 13));
    }

    @Test
    void aSumOfNamesImportsAsTheSumOfTheirSymbols() {
        Graph g = OnnxImporter.importModel(model(), ImportOptions.defaults());
        assertEquals(
                "f32[batch_size,past_sequence_length+sequence_length]",
                g.inputs().get(2).type().toString());
        assertEquals("f32[past_sequence_length-1]", g.inputs().get(3).type().toString());
        assertEquals(
                "f32[batch_size,past_sequence_length+sequence_length]",
                g.outputs().getFirst().type().toString());
    }

    @Test
    void aFixedAxisFixesItsNameEverywhere() {
        Graph g = OnnxImporter.importModel(model(), ImportOptions.defaults().withFixedAxis("input_ids", 1, 1));
        assertEquals("f32[batch_size,1]", g.inputs().getFirst().type().toString());
        assertEquals(
                "f32[batch_size,past_sequence_length+1]",
                g.inputs().get(2).type().toString());
        assertFalse(g.symbols().containsKey("sequence_length"), g.symbols().toString());
    }

    @Test
    void onlySpacedOperatorsBetweenNamesOrNumbersMakeASum() {
        assertTrue(Symbols.isSum("past_sequence_length + 1"));
        assertTrue(Symbols.isSum("a + b - 2"));
        assertFalse(Symbols.isSum("seq-len"), "a dash inside a name");
        assertFalse(Symbols.isSum("batch size"), "words with a space");
        assertFalse(Symbols.isSum("a * b"));
        assertFalse(Symbols.isSum("a +"));
    }
}
