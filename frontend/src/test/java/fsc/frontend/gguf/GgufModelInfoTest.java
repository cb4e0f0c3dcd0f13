package fsc.frontend.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class GgufModelInfoTest {
    @Test
    void summarisesTheQ4KMModel() {
        GgufModelInfo info = GgufModelInfo.read(GgufTestData.gguf("synth-llama-a-Q4_K_M.gguf"));
        assertEquals("llama", info.architecture());
        assertEquals("256", info.hyperParameters().get("embedding_length"));
        assertEquals("10000.0", info.hyperParameters().get("rope.freq_base"));
        assertEquals("llama", info.tokenizerModel());
        assertEquals(512, info.vocabSize());
        assertEquals(OptionalLong.of(1), info.bosId());
        assertEquals(OptionalLong.of(2), info.eosId());
        // Embedding and output 256x512, output norm, and per layer: q and o 256x256, k and v
        // 256x128, three 256x768 FFN matrices, two norms.
        long expectedParams = 2L * 256 * 512 + 256 + 2 * (2 * 256 * 256 + 2 * 256 * 128 + 3 * 256 * 768 + 2 * 256);
        assertEquals(expectedParams, info.parameters());
        String expected =
                """
                synth-llama-a-Q4_K_M.gguf: GGUF v3
                architecture  llama (fsc-synthetic)
                hyper-parameters
                  context_length                    2048
                  embedding_length                  256
                  feed_forward_length               768
                  block_count                       2
                  attention.head_count              4
                  attention.head_count_kv           2
                  rope.dimension_count              64
                  rope.freq_base                    10000.0
                  attention.layer_norm_rms_epsilon  1.0E-5
                tensors
                  F32         5 tensors           1,280 params             5,120 bytes
                  Q4_K       13 tensors       1,474,560 params           829,440 bytes
                  Q6_K        3 tensors         360,448 params           295,680 bytes
                  total      21 tensors       1,836,288 params         1,130,240 bytes
                tokenizer     llama, 512 tokens, bos 1, eos 2
                """;
        assertEquals(expected, info.render());
    }
}
