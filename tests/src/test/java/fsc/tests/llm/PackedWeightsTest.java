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
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every packed weight type on every LLaMA tensor role: a synthetic model whose tensors cycle
 * through F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K and Q6_K must give the same logits as its twin
 * with the same weights dequantized to F32; and the compiled F32 twin must agree with the reference
 * interpreter (double precision) on the whole step graph, paged attention included.
 */
class PackedWeightsTest {
    private static final List<GgmlType> TYPES = List.of(
            GgmlType.F16,
            GgmlType.BF16,
            GgmlType.Q8_0,
            GgmlType.Q4_0,
            GgmlType.Q4_1,
            GgmlType.Q4_K,
            GgmlType.Q6_K,
            GgmlType.F32);
    private static final SyntheticLlama MODEL = new SyntheticLlama(256, 2, 4, 2, 512, 320, 5);
    private static final int[] TOKENS = {1, 300, 17, 260, 301, 9};

    @Test
    void packedTypesMatchTheirDequantizedTwinAndTheInterpreter(@TempDir Path dir) {
        Map<String, GgmlType> types = new LinkedHashMap<>();
        Set<GgmlType> used = EnumSet.noneOf(GgmlType.class);
        for (Object[] t : MODEL.tensors()) {
            String name = (String) t[0];
            if (!name.contains("norm")) {
                GgmlType type = TYPES.get(types.size() % TYPES.size());
                types.put(name, type);
                used.add(type);
            }
        }
        assertEquals(EnumSet.copyOf(TYPES), used, "every type is exercised");
        Path packed = dir.resolve("mixed.gguf");
        Path twin = dir.resolve("twin.gguf");
        MODEL.write(packed, types::get);
        MODEL.dequantizedTwin(twin, types::get);

        float[] a = prefillLogits(CompiledDecoders.jar(packed));
        float[] b = prefillLogits(CompiledDecoders.jar(twin));
        assertEquals(TOKENS.length * MODEL.vocab(), a.length);
        double scale = maxAbs(b);
        assertTrue(scale > 0.5, "logits are not degenerate: " + scale);
        assertTrue(maxDiff(a, b) <= 1e-3 * scale, "packed vs F32 twin differ by " + maxDiff(a, b));

        float[] ref = interpreterLogits(twin);
        assertTrue(maxDiff(ref, b) <= 1e-3 * scale, "interpreter vs compiled differ by " + maxDiff(ref, b));
    }

    /** Logits of every prompt row after one prefill step. */
    private static float[] prefillLogits(Path jar) {
        try (CompiledModel model = ArtifactLoader.open(jar, 2)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            try (KvCache cache = new KvCache(config.layout(), 4, 1, config.maxContext())) {
                int n = TOKENS.length;
                cache.append(0, n);
                int[] pos = new int[n];
                int[] rows = new int[n];
                for (int i = 0; i < n; i++) {
                    pos[i] = i;
                    rows[i] = i;
                }
                return new Decoder(model, config, cache).step(TOKENS, pos, new int[n], rows);
            }
        }
    }

    private static float[] interpreterLogits(Path gguf) {
        try (GgufFile f = GgufFile.open(gguf)) {
            var imported = GgufDecoderImporter.importModel(f, new DecoderOptions(256, 64, 4, 16));
            int n = TOKENS.length;
            long[] seq = new long[n];
            long[] ids = new long[n];
            long[] pos = new long[n];
            for (int i = 0; i < n; i++) {
                ids[i] = TOKENS[i];
                pos[i] = i;
            }
            long blockFloats = 2L * 2 * 16 * 128;
            Map<String, HostTensor> in = new LinkedHashMap<>();
            in.put("tokens", HostTensor.ofInts(DType.I32, new long[] {n}, ids));
            in.put("positions", HostTensor.ofInts(DType.I32, new long[] {n}, pos));
            in.put("seq_ids", HostTensor.ofInts(DType.I32, new long[] {n}, seq));
            in.put("block_table", HostTensor.ofInts(DType.I32, new long[] {1, 16}, blockTable()));
            in.put("kv_cache", HostTensor.zeros(DType.F32, new long[] {1, blockFloats}));
            in.put("logit_rows", HostTensor.ofInts(DType.I32, new long[] {n}, pos));
            return new Interpreter(imported.graph()).run(in).get("logits").toFloatArray();
        }
    }

    private static long[] blockTable() {
        long[] t = new long[16];
        java.util.Arrays.fill(t, -1);
        t[0] = 0;
        return t;
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
