package fsc.frontend.gguf.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.gguf.GgmlType;
import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufWriter;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Verifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufDecoderImporterTest {
    static Path stories() {
        String shared = System.getProperty("fsc.shared.data");
        Path p =
                (shared != null ? Path.of(shared) : Path.of("../../shared/data")).resolve("gguf/stories260K-Q8_0.gguf");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("test model " + p + " is missing");
        }
        return p;
    }

    @Test
    void storiesBecomesOneStepGraphWithPackedWeights() {
        try (GgufFile f = GgufFile.open(stories())) {
            GgufDecoderImporter.Imported imp = GgufDecoderImporter.importModel(f, new DecoderOptions(128, 32, 2, 16));
            Graph g = imp.graph();
            Verifier.verify(g);
            assertEquals(
                    List.of("tokens", "positions", "seq_ids", "block_table", "kv_cache", "logit_rows"),
                    g.inputs().stream().map(v -> v.name()).toList());
            assertEquals("f32[R,512]", g.outputs().getFirst().type().toString());
            Map<String, Integer> ops = new TreeMap<>();
            for (Node n : g.nodes()) {
                ops.merge(n.op(), 1, Integer::sum);
            }
            assertEquals(5 * 7 + 1, ops.get("qmatmul")); // 7 projections per layer + head (tied)
            assertEquals(5, ops.get("paged_attention"));
            assertEquals(10, ops.get("rope"));
            assertEquals(11, ops.get("rms_norm"));
            assertEquals(Map.of("MB", 8L, "NB", DecoderOptions.MAX_BLOCKS, "NS", 2L, "R", 32L, "T", 32L), g.symbols());
            assertTrue(g.constants().stream().anyMatch(c -> c.value().dtype() == DType.Q8_0));
            assertEquals(128, imp.context());
            assertEquals(8, imp.params().headDim());
            assertTrue(imp.params().arch().ropeInterleaved());
        }
    }

    @Test
    void unknownArchitectureAndMissingTensorsAreOneLineErrors(@TempDir Path dir) {
        Path mamba = dir.resolve("mamba.gguf");
        new GgufWriter().putString("general.architecture", "mamba").write(mamba);
        try (GgufFile f = GgufFile.open(mamba)) {
            FscException e = assertThrows(
                    FscException.class, () -> GgufDecoderImporter.importModel(f, DecoderOptions.defaults()));
            assertTrue(e.getMessage().contains("architecture 'mamba' is not supported"), e.getMessage());
        }
        Path partial = dir.resolve("partial.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putU32("llama.embedding_length", 32)
                .putU32("llama.block_count", 1)
                .putU32("llama.attention.head_count", 4)
                .putU32("llama.feed_forward_length", 64)
                .addF32("token_embd.weight", GgmlType.F32, List.of(32L, 3L), new float[96])
                .putString("tokenizer.ggml.model", "llama")
                .put(
                        "tokenizer.ggml.tokens",
                        new fsc.frontend.gguf.GgufValue.ArrayValue(
                                fsc.frontend.gguf.GgufValueType.STRING,
                                List.of(
                                        new fsc.frontend.gguf.GgufValue.StringValue("a"),
                                        new fsc.frontend.gguf.GgufValue.StringValue("b"),
                                        new fsc.frontend.gguf.GgufValue.StringValue("c"))))
                .write(partial);
        try (GgufFile f = GgufFile.open(partial)) {
            FscException e = assertThrows(
                    FscException.class, () -> GgufDecoderImporter.importModel(f, DecoderOptions.defaults()));
            assertTrue(e.getMessage().contains("tensor 'blk.0.attn_norm.weight' is missing"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    /**
     * Hyper-parameters from a mutation fuzzer (docs/RELIABILITY.md): an rms epsilon of +inf reached
     * the generated source as {@code Infinityf} and failed in javac. Each bad value is now refused at
     * import, naming the key.
     */
    @Test
    void nonFiniteOrAbsurdHyperParametersAreRefused(@TempDir Path dir) {
        String eps = "llama.attention.layer_norm_rms_epsilon";
        for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NaN, 0f, -1e-5f, 2f}) {
            assertRefused(dir, tiny().putF32(eps, bad), "metadata " + eps + " must be a finite number in (0, 1.0]");
        }
        assertRefused(
                dir,
                tiny().putF32("llama.rope.freq_base", Float.NaN),
                "metadata llama.rope.freq_base must be a finite");
        assertRefused(dir, tiny().putU32("llama.block_count", 1 << 20), "metadata llama.block_count is 1048576, above");
        assertRefused(dir, tiny().putU32("llama.context_length", 0), "metadata llama.context_length must be positive");
    }

    /** The partial llama of the test above: enough metadata to reach the hyper-parameter checks. */
    private static GgufWriter tiny() {
        return new GgufWriter()
                .putString("general.architecture", "llama")
                .putU32("llama.embedding_length", 32)
                .putU32("llama.block_count", 1)
                .putU32("llama.attention.head_count", 4)
                .putU32("llama.feed_forward_length", 64)
                .addF32("token_embd.weight", GgmlType.F32, List.of(32L, 3L), new float[96]);
    }

    private static void assertRefused(Path dir, GgufWriter w, String message) {
        Path file = dir.resolve("bad.gguf");
        w.write(file);
        try (GgufFile f = GgufFile.open(file)) {
            FscException e = assertThrows(FscException.class, () -> DecoderParams.read(f));
            assertTrue(e.getMessage().contains(message), e.getMessage());
        }
    }
}
