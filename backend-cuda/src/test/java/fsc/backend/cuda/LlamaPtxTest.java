package fsc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.gguf.GgmlType;
import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufValue;
import fsc.frontend.gguf.GgufValueType;
import fsc.frontend.gguf.GgufWriter;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.frontend.gguf.arch.GgufDecoderImporter;
import fsc.ir.Graph;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.Pipelines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kernel of a LLaMA step graph compiles with {@code nvcc -ptx -arch=sm_90}: a synthetic LLaMA
 * written with {@link GgufWriter} with every weight in each type the CUDA backend reads, and the
 * reference stories260K / Q4_K_M files from the shared data. Running them needs a GPU.
 */
class LlamaPtxTest {
    static final List<GgmlType> TYPES = List.of(
            GgmlType.F32,
            GgmlType.F16,
            GgmlType.BF16,
            GgmlType.Q8_0,
            GgmlType.Q4_0,
            GgmlType.Q4_1,
            GgmlType.Q4_K,
            GgmlType.Q6_K);

    /** Imports {@code gguf} (its weights stay mapped while the file is open), runs the CPU pipeline, compiles to PTX. */
    static Set<String> compileGguf(Path gguf, String label, boolean checkKvCache) {
        try (GgufFile f = GgufFile.open(gguf)) {
            Graph g = GgufDecoderImporter.importModel(f, new DecoderOptions(128, 16, 2, 16))
                    .graph();
            Graph planned = PassManager.builder()
                    .build()
                    .run(g, Pipelines.cudaDefault(CudaBackend.fusionRules()), PassContext.defaults())
                    .graph();
            if (checkKvCache) {
                assertEquals(
                        Set.of("kv_cache"),
                        CudaModule.updatedInPlace(planned),
                        "the KV cache is the input kernels update in place");
            }
            assertKvCacheResident(CudaBackend.module(planned, label), label);
            return compileAll(planned, label);
        }
    }

    /**
     * The KV cache lives in the state buffer (parameter {@code P}), so the arena no longer holds the
     * compiled bound of its block count (2^24 blocks, hundreds of GB): it must fit a device.
     */
    static void assertKvCacheResident(CudaModule m, String label) {
        List<DeviceLayout.Io> resident =
                m.layout().inputs().stream().filter(DeviceLayout.Io::resident).toList();
        assertEquals(1, resident.size(), label + ": one resident input");
        assertEquals("kv_cache", resident.get(0).value().name(), label);
        assertEquals(0, resident.get(0).offset(), label);
        assertTrue(
                m.layout().arenaBytes() < (1L << 30),
                label + ": arena " + m.layout().arenaBytes() + " bytes");
        assertTrue(m.source().contains("((float*)(P + 0x0LL))"), label + ": the KV kernel writes through P");
    }

    /** Compiles {@code g}'s CUDA module to PTX and checks every kernel is in it; returns the ops emitted. */
    static Set<String> compileAll(Graph g, String label) {
        CudaModule m = CudaBackend.module(g, label);
        String ptx = TestModels.nvccOrSkip().ptx(m.source(), label + ".cu", "sm_90");
        Set<String> ops = new TreeSet<>();
        for (Kernel k : m.kernels()) {
            assertTrue(ptx.contains(".entry " + k.name() + "("), label + ": " + k.name());
            ops.add(k.op());
        }
        return ops;
    }

    @Test
    void syntheticLlamaInEveryWeightTypeCompiles(@TempDir Path dir) {
        for (GgmlType t : TYPES) {
            Path f = dir.resolve("synth-" + t.name() + ".gguf");
            writeSynthetic(f, t);
            Set<String> ops = compileGguf(f, "synth_" + t.name().toLowerCase(), true);
            assertTrue(
                    ops.containsAll(List.of("qmatmul", "embedding", "rope", "paged_attention", "rms_norm")),
                    t + ": " + ops);
        }
    }

    @Test
    void referenceGgufModelsCompile() {
        String shared = System.getProperty("fsc.shared.data");
        Path dir = (shared != null ? Path.of(shared) : Path.of("../../shared/data")).resolve("gguf");
        for (String name : List.of("stories260K.gguf", "stories260K-Q8_0.gguf", "synth-llama-a-Q4_K_M.gguf")) {
            Path f = dir.resolve(name);
            assertTrue(Files.isRegularFile(f), "test model " + f + " is missing");
            Set<String> ops = compileGguf(f, name.replaceAll("[^A-Za-z0-9]", "_"), false);
            assertTrue(ops.contains("paged_attention"), name + ": " + ops);
        }
    }

    /**
     * With the bounds {@code fsc compile} uses by default (512 tokens a step, 16 sequences, the
     * model's context), the device memory the launcher asks for up front stays small: the KV cache
     * is sized at run time, not at its 2^24-block bound.
     */
    @Test
    void stories260KWithDefaultBoundsNeedsASmallArena() {
        String shared = System.getProperty("fsc.shared.data");
        Path f = (shared != null ? Path.of(shared) : Path.of("../../shared/data")).resolve("gguf/stories260K.gguf");
        try (GgufFile gguf = GgufFile.open(f)) {
            Graph g = GgufDecoderImporter.importModel(gguf, DecoderOptions.defaults())
                    .graph();
            Graph planned = PassManager.builder()
                    .build()
                    .run(g, Pipelines.cudaDefault(CudaBackend.fusionRules()), PassContext.defaults())
                    .graph();
            CudaModule m = CudaBackend.module(planned, "stories260K");
            assertKvCacheResident(m, "stories260K");
            assertTrue(
                    m.layout().arenaBytes() < (64L << 20), "arena " + m.layout().arenaBytes() + " bytes");
        }
    }

    /** One layer, dim 256 (K-quants need rows of 256), 4 heads over 2 KV heads, a byte vocabulary. */
    static void writeSynthetic(Path path, GgmlType type) {
        int dim = 256;
        int ffn = 256;
        int vocab = 260;
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "fsc-cuda-synthetic")
                .putU32("llama.context_length", 128)
                .putU32("llama.embedding_length", dim)
                .putU32("llama.feed_forward_length", ffn)
                .putU32("llama.block_count", 1)
                .putU32("llama.attention.head_count", 4)
                .putU32("llama.attention.head_count_kv", 2)
                .putF32("llama.rope.freq_base", 10000f)
                .putF32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .putString("tokenizer.ggml.model", "llama")
                .putU32("tokenizer.ggml.bos_token_id", 1)
                .putU32("tokenizer.ggml.eos_token_id", 2)
                .putU32("tokenizer.ggml.unknown_token_id", 0);
        List<GgufValue> tokens = new ArrayList<>();
        List<GgufValue> scores = new ArrayList<>();
        List<GgufValue> types = new ArrayList<>();
        for (int i = 0; i < vocab; i++) {
            String text = i < 3
                    ? List.of("<unk>", "<s>", "</s>").get(i)
                    : i < 259 ? String.format("<0x%02X>", i - 3) : "\u2581a";
            tokens.add(new GgufValue.StringValue(text));
            scores.add(new GgufValue.FloatValue(GgufValueType.FLOAT32, -i));
            types.add(new GgufValue.IntValue(GgufValueType.INT32, i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1));
        }
        w.put("tokenizer.ggml.tokens", new GgufValue.ArrayValue(GgufValueType.STRING, tokens));
        w.put("tokenizer.ggml.scores", new GgufValue.ArrayValue(GgufValueType.FLOAT32, scores));
        w.put("tokenizer.ggml.token_type", new GgufValue.ArrayValue(GgufValueType.INT32, types));
        int kv = 2 * (dim / 4);
        Object[][] shapes = {
            {"token_embd.weight", vocab, dim},
            {"blk.0.attn_norm.weight", 0, dim},
            {"blk.0.attn_q.weight", dim, dim},
            {"blk.0.attn_k.weight", kv, dim},
            {"blk.0.attn_v.weight", kv, dim},
            {"blk.0.attn_output.weight", dim, dim},
            {"blk.0.ffn_norm.weight", 0, dim},
            {"blk.0.ffn_gate.weight", ffn, dim},
            {"blk.0.ffn_up.weight", ffn, dim},
            {"blk.0.ffn_down.weight", dim, ffn},
            {"output_norm.weight", 0, dim},
            {"output.weight", vocab, dim}
        };
        SplittableRandom r = new SplittableRandom(7);
        for (Object[] s : shapes) {
            int rows = (int) s[1];
            int cols = (int) s[2];
            boolean norm = rows == 0;
            float[] v = new float[norm ? cols : rows * cols];
            for (int i = 0; i < v.length; i++) {
                v[i] = norm ? 1f : (float) (r.nextDouble() - 0.5) * 0.1f;
            }
            List<Long> dims = norm ? List.of((long) cols) : List.of((long) cols, (long) rows);
            w.addF32((String) s[0], norm ? GgmlType.F32 : type, dims, v);
        }
        w.write(path);
    }
}
