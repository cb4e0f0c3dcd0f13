package fsc.frontend.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.FscException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class GgufFileTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void readsTheF32StoriesModel() {
        try (GgufFile f = GgufFile.open(GgufTestData.gguf("stories260K.gguf"))) {
            assertEquals(3, f.version());
            assertEquals(48, f.tensors().size());
            assertEquals(19, f.metadata().asMap().size());
            assertEquals(32, f.alignment()); // the file does not set general.alignment
            assertEquals(14176, f.dataOffset()); // header ends at 14152, rounded up to 32

            GgufMetadata m = f.metadata();
            assertEquals("llama", m.getString("general.architecture"));
            assertEquals(64, m.getInt("llama.embedding_length"));
            assertEquals(5, m.getInt("llama.block_count"));
            assertEquals(1e-5f, m.getFloat("llama.attention.layer_norm_rms_epsilon"), 1e-12);
            assertEquals(512, m.getStrings("tokenizer.ggml.tokens").size());
            assertEquals("<0x00>", m.getStrings("tokenizer.ggml.tokens").get(3));
            assertEquals(-2.0f, m.getFloats("tokenizer.ggml.scores")[261]);
            assertEquals(6, m.getInts("tokenizer.ggml.token_type")[3]);
            assertEquals(4294967295L, m.getLong("tokenizer.ggml.padding_token_id"));

            GgufTensorInfo emb = f.tensor("token_embd.weight");
            assertEquals(List.of(64L, 512L), emb.dims());
            assertArrayEquals(new long[] {512, 64}, emb.shape());
            assertEquals(GgmlType.F32, emb.type());
            assertEquals(131072, emb.byteSize());
            MemorySegment data = f.tensorData(emb);
            assertEquals(131072, data.byteSize());
            assertTrue(data.isReadOnly());
            // Values read with numpy from the same offsets.
            assertEquals(-0.29474878f, data.get(F32, 0));
            assertEquals(0.5618956f, data.get(F32, 4));
            assertEquals(2.458309f, f.tensorData("output_norm.weight").get(F32, 0));
        }
    }

    @Test
    void readsMixedQuantTypesAndMapsThemToIrTypes() {
        try (GgufFile f = GgufFile.open(GgufTestData.gguf("stories260K-Q8_0.gguf"))) {
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").type());
            assertEquals(64 * 512 / 32 * 34, f.tensor("output.weight").byteSize());
            // ffn_down rows are 172 long, not a multiple of 32, so llama.cpp kept them in F16.
            assertEquals(GgmlType.F16, f.tensor("blk.0.ffn_down.weight").type());
            assertEquals(DType.Q8_0, f.tensor("output.weight").type().dtype("x"));
        }
        try (GgufFile f = GgufFile.open(GgufTestData.gguf("synth-llama-a-Q4_K_M.gguf"))) {
            assertEquals(32, f.metadata().getInt("general.alignment"));
            assertEquals(GgmlType.Q6_K, f.tensor("output.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("token_embd.weight").type());
            assertEquals(DType.Q4_K, GgmlType.Q4_K.dtype("x"));
            for (GgufTensorInfo t : f.tensors()) {
                assertEquals(t.byteSize(), f.tensorData(t).byteSize());
            }
        }
    }

    @Test
    void wrongTypesAndMissingKeysAreUserErrorsNamingTheKey() {
        try (GgufFile f = GgufFile.open(GgufTestData.gguf("stories260K.gguf"))) {
            GgufMetadata m = f.metadata();
            FscException missing = assertThrows(FscException.class, () -> m.getInt("llama.rope.freq_base"));
            assertEquals("stories260K.gguf: metadata key 'llama.rope.freq_base' is missing", missing.getMessage());
            FscException wrong = assertThrows(FscException.class, () -> m.getInt("general.name"));
            assertEquals(
                    "stories260K.gguf: metadata key 'general.name' is string, expected an integer", wrong.getMessage());
            FscException range = assertThrows(FscException.class, () -> m.getInt("tokenizer.ggml.padding_token_id"));
            assertTrue(range.getMessage().contains("4294967295, which does not fit in an int"), range.getMessage());
            assertThrows(FscException.class, () -> m.getFloats("tokenizer.ggml.tokens"));
            assertEquals(10000f, m.getFloat("llama.rope.freq_base", 10000f));
            FscException noTensor = assertThrows(FscException.class, () -> f.tensor("nope"));
            assertEquals("stories260K.gguf: tensor 'nope' is missing", noTensor.getMessage());
        }
    }

    @Test
    void unsupportedGgmlTypesAreNamed() {
        FscException e = assertThrows(FscException.class, () -> GgmlType.Q5_0.dtype("m.gguf: tensor 'w'"));
        assertEquals("m.gguf: tensor 'w': ggml type Q5_0 is not supported by fsc", e.getMessage());
        assertTrue(GgmlType.byId(4).isEmpty()); // Q4_2, retired by ggml
        assertEquals(GgmlType.BF16, GgmlType.byId(30).orElseThrow());
        assertEquals(144, GgmlType.Q4_K.blockBytes());
        assertEquals(210, GgmlType.Q6_K.blockBytes());
    }
}
