package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.cli.ArtifactLoader;
import fsc.frontend.gguf.arch.DecoderNumerics;
import fsc.ir.DType;
import fsc.runtime.CompiledModel;
import fsc.runtime.ElemType;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.Generation;
import fsc.runtime.llm.Generator;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.SamplingParams;
import fsc.runtime.llm.TextCodec;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Greedy generation through the compiled jar reproduces llama.cpp's token ids exactly, prompt
 * tokenization included, for the F32 model and its Q8_0 twin.
 */
class ReferenceGenerationTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.gguf", "stories260K-Q8_0.gguf"})
    void greedyIdsMatchLlamaCpp(String file) {
        greedyIdsMatch(file, CompiledDecoders.jar(file));
    }

    /**
     * The same with the KV cache in f16 (half the memory), exact attention or llama.cpp's f16 flash
     * attention ({@code --numerics llama-cpp}; these models have no K-quant weights, so no Q8_K,
     * and the Q8_0 twin's matmuls take Q8_0 activations as llama.cpp's do): the roundings leave
     * every greedy choice of these references unchanged.
     */
    @ParameterizedTest
    @CsvSource({
        "stories260K.gguf, f32",
        "stories260K.gguf, llama-cpp",
        "stories260K-Q8_0.gguf, f32",
        "stories260K-Q8_0.gguf, llama-cpp"
    })
    void greedyIdsMatchLlamaCppWithAnF16Cache(String file, String numerics) {
        Path jar = CompiledDecoders.jar(file, DecoderNumerics.byName(numerics), DType.F16);
        try (CompiledModel model = ArtifactLoader.open(jar, 1)) {
            assertEquals(
                    ElemType.F16,
                    LlmConfig.load(model.getClass().getClassLoader()).layout().kvType());
        }
        greedyIdsMatch(file, jar);
    }

    private static void greedyIdsMatch(String file, Path jar) {
        try (CompiledModel model = ArtifactLoader.open(jar, 1)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            TextCodec codec = new TextCodec(config.tokenizer());
            for (GgufReferences ref : GgufReferences.forModel(file)) {
                assertArrayEquals(ref.promptIds(), codec.encode(ref.prompt()), "prompt ids of '" + ref.prompt() + "'");
                try (KvCache cache = new KvCache(config.layout(), 16, 1, config.maxContext())) {
                    Generator gen = new Generator(new Decoder(model, config, cache), codec);
                    Generation g =
                            gen.generate(ref.promptIds(), ref.maxTokens(), SamplingParams.greedy(), s -> {}, false);
                    assertArrayEquals(ref.generatedIds(), g.generatedIds(), file + " '" + ref.prompt() + "'");
                    assertEquals(ref.promptIds().length, g.timings().promptTokens());
                }
            }
        }
    }
}
