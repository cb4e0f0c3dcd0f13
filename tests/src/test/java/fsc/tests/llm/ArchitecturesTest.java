package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.frontend.gguf.GgmlType;
import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.frontend.gguf.arch.GgufDecoderImporter;
import fsc.ir.DType;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The other families' switches (NeoX rope and Q/K/V biases for {@code qwen2}; GELU FFN, √dim
 * embedding scale and NeoX rope for {@code gemma}): the compiled step agrees with the reference
 * interpreter on the same graph. There are no llama.cpp references for these, so this checks the
 * compiled path against the op semantics, not against another implementation of the architecture.
 */
class ArchitecturesTest {
    private static final SyntheticLlama MODEL = new SyntheticLlama(64, 2, 4, 2, 96, 300, 9);
    private static final int[] TOKENS = {1, 270, 5, 299, 260};

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "gemma", "llama"})
    void compiledStepMatchesInterpreter(String arch, @TempDir Path dir) {
        Path gguf = dir.resolve(arch + ".gguf");
        MODEL.write(gguf, name -> GgmlType.F32, arch);
        int n = TOKENS.length;
        float[] compiled;
        try (CompiledModel model = ArtifactLoader.open(CompiledDecoders.jar(gguf), 1)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            assertEquals(arch, config.architecture());
            try (KvCache cache = new KvCache(config.layout(), 2, 1, config.maxContext())) {
                cache.append(0, n);
                int[] pos = {0, 1, 2, 3, 4};
                compiled = new Decoder(model, config, cache).step(TOKENS, pos, new int[n], pos);
            }
        }
        float[] reference;
        try (GgufFile f = GgufFile.open(gguf)) {
            var imported = GgufDecoderImporter.importModel(f, new DecoderOptions(256, 64, 4, 16));
            long[] ids = Arrays.stream(TOKENS).asLongStream().toArray();
            long[] pos = {0, 1, 2, 3, 4};
            long[] table = new long[16];
            Arrays.fill(table, -1);
            table[0] = 0;
            long blockFloats = 2L
                    * 2
                    * 16
                    * imported.params().kvHeads()
                    * imported.params().headDim();
            Map<String, HostTensor> in = new LinkedHashMap<>();
            in.put("tokens", HostTensor.ofInts(DType.I32, new long[] {n}, ids));
            in.put("positions", HostTensor.ofInts(DType.I32, new long[] {n}, pos));
            in.put("seq_ids", HostTensor.ofInts(DType.I32, new long[] {n}, new long[n]));
            in.put("block_table", HostTensor.ofInts(DType.I32, new long[] {1, 16}, table));
            in.put("kv_cache", HostTensor.zeros(DType.F32, new long[] {1, blockFloats}));
            in.put("logit_rows", HostTensor.ofInts(DType.I32, new long[] {n}, pos));
            reference = new Interpreter(imported.graph()).run(in).get("logits").toFloatArray();
        }
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < reference.length; i++) {
            scale = Math.max(scale, Math.abs(reference[i]));
            diff = Math.max(diff, Math.abs(reference[i] - compiled[i]));
        }
        assertTrue(scale > 0.1, "logits are not degenerate: " + scale);
        assertTrue(
                diff <= 1e-3 * scale, arch + ": compiled vs interpreter differ by " + diff + " (scale " + scale + ")");
    }
}
