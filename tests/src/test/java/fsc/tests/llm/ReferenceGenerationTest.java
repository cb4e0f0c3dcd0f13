package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.cli.ArtifactLoader;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.Generation;
import fsc.runtime.llm.Generator;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.SamplingParams;
import fsc.runtime.llm.TextCodec;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Greedy generation through the compiled jar reproduces llama.cpp's token ids exactly, prompt
 * tokenization included, for the F32 model and its Q8_0 twin.
 */
class ReferenceGenerationTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.gguf", "stories260K-Q8_0.gguf"})
    void greedyIdsMatchLlamaCpp(String file) {
        Path jar = CompiledDecoders.jar(file);
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
