package fsc.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gpt2_past.onnx} compiled with {@code --decoder} (the {@code kv-paging} pass): the jar runs
 * the LLM runtime's step over paged KV blocks, and every step's logits are compared with ONNX
 * Runtime running the original export with explicit past tensors. The export ends at the final
 * hidden state ({@code last_state}), so the reference logits are {@code last_state · wteᵀ} (GPT-2's
 * tied head, computed here in double from the export's own {@code wte}).
 *
 * <p>The export's position table has 8 rows, so a sequence holds 8 positions: a prompt of 3 tokens
 * prefilled in one step (each of its rows compared), then 5 greedy decode steps.
 */
class Gpt2PastPagedVsOrtTest {
    private static final int LAYERS = 12;
    private static final int VOCAB = 20;
    private static final int HIDDEN = 4;
    private static final int CONTEXT = 8;
    private static final double TOLERANCE = 1e-4;
    private static final int[] PROMPT = {3, 7, 11};

    @TempDir
    Path dir;

    private static Path model() {
        Path p = TestModels.sharedData().resolve("onnx/models/gpt2_past.onnx");
        assertTrue(Files.isRegularFile(p), p + " is missing (../shared/data)");
        return p;
    }

    private Path compile() {
        Path jar = dir.resolve("gpt2-paged.jar");
        assertEquals(
                0,
                Main.execute("compile", model().toString(), "--decoder", "-o", jar.toString(), "--quiet"),
                "fsc compile --decoder");
        return jar;
    }

    /** The export's token embedding {@code wte} [20, 4]. */
    private static float[] wte() throws Exception {
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(model()));
        for (TensorProto t : m.getGraph().getInitializerList()) {
            if (t.getName().startsWith("wte") && t.getDimsList().equals(List.of((long) VOCAB, (long) HIDDEN))) {
                float[] w = new float[VOCAB * HIDDEN];
                if (t.getFloatDataCount() == w.length) {
                    for (int i = 0; i < w.length; i++) {
                        w[i] = t.getFloatData(i);
                    }
                } else {
                    ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().get(w);
                }
                return w;
            }
        }
        throw new AssertionError("no wte [20, 4] initializer in " + model());
    }

    /** ONNX Runtime on the original export, one token per step with its own present fed back as past. */
    private static final class OrtLoop implements AutoCloseable {
        private final OrtOracle ort;
        private final float[] wte;
        private Map<String, Tensor> past = new LinkedHashMap<>();
        private long length;

        OrtLoop(float[] wte) throws Exception {
            this.ort = new OrtOracle(model(), 1);
            this.wte = wte;
            for (int l = 0; l < LAYERS; l++) {
                past.put("past_" + l, Tensor.ofFloats(new long[] {2, 1, 2, 0, 2}));
            }
        }

        /** The logits after {@code token} (the last state times wteᵀ, in double). */
        double[] step(int token) throws Exception {
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("input_ids", Tensor.ofLongs(new long[] {1, 1}, token));
            in.putAll(past);
            Map<String, float[]> out = ort.run(in);
            length++;
            Map<String, Tensor> next = new LinkedHashMap<>();
            for (int l = 0; l < LAYERS; l++) {
                next.put("past_" + l, Tensor.ofFloats(new long[] {2, 1, 2, length, 2}, out.get("present_" + l)));
            }
            past = next;
            float[] h = out.get("last_state");
            double[] logits = new double[VOCAB];
            for (int v = 0; v < VOCAB; v++) {
                for (int k = 0; k < HIDDEN; k++) {
                    logits[v] += (double) h[k] * wte[v * HIDDEN + k];
                }
            }
            return logits;
        }

        @Override
        public void close() throws Exception {
            ort.close();
        }
    }

    private static double maxAbs(double[] expected, float[] actual, int offset) {
        double m = 0;
        for (int i = 0; i < expected.length; i++) {
            m = Math.max(m, Math.abs(actual[offset + i] - expected[i]));
        }
        return m;
    }

    private static int argmax(float[] x, int offset) {
        int best = 0;
        for (int i = 1; i < VOCAB; i++) {
            if (x[offset + i] > x[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    private static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Prefill of the prompt in one step (all three rows' logits), then greedy decode to the end of
     * the context: every step's logits within 1e-4 of ONNX Runtime's, the same greedy ids.
     */
    @Test
    void pagedDecoderMatchesOrtStepByStep() throws Exception {
        Path jar = compile();
        List<String> lines = new ArrayList<>();
        double worst = 0;
        try (CompiledModel m = ArtifactLoader.open(jar, 1);
                OrtLoop ort = new OrtLoop(wte())) {
            LlmConfig config = LlmConfig.load(m.getClass().getClassLoader());
            assertEquals(VOCAB, config.vocab());
            assertEquals(CONTEXT, config.maxContext());
            assertEquals(LAYERS, config.layout().layers());
            try (KvCache cache = new KvCache(config.layout(), 1, 1, CONTEXT)) {
                Decoder d = new Decoder(m, config, cache);
                int start = cache.append(0, PROMPT.length);
                float[] prefill =
                        d.step(PROMPT, new int[] {start, start + 1, start + 2}, new int[3], new int[] {0, 1, 2});
                for (int i = 0; i < PROMPT.length; i++) {
                    double e = maxAbs(ort.step(PROMPT[i]), prefill, i * VOCAB);
                    lines.add(String.format(Locale.ROOT, "prefill row %d %.2e", i, e));
                    worst = Math.max(worst, e);
                }
                int next = argmax(prefill, (PROMPT.length - 1) * VOCAB);
                for (int pos = PROMPT.length; pos < CONTEXT; pos++) {
                    int p = cache.append(0, 1);
                    assertEquals(pos, p);
                    float[] logits = d.step(new int[] {next}, new int[] {p}, new int[] {0}, new int[] {0});
                    double[] expected = ort.step(next);
                    double e = maxAbs(expected, logits, 0);
                    lines.add(String.format(Locale.ROOT, "decode pos %d token %d %.2e", pos, next, e));
                    worst = Math.max(worst, e);
                    assertEquals(argmax(expected), argmax(logits, 0), "greedy id after position " + pos);
                    next = argmax(logits, 0);
                }
            }
        }
        System.out.println("gpt2_past paged vs ORT, max-abs per step: " + String.join("; ", lines));
        assertEquals(CONTEXT, lines.size());
        assertTrue(worst <= TOLERANCE, "worst max-abs " + worst + " > " + TOLERANCE + ": " + lines);
    }

    /**
     * Two sequences decoded in one step: each attends only to its own blocks, so its logits equal
     * the ones ONNX Runtime computes for that sequence alone.
     */
    @Test
    void twoSequencesInOneStepStayApart() throws Exception {
        Path jar = compile();
        int[][] prompts = {{3, 7}, {12, 1}};
        int[] tails = {5, 9};
        try (CompiledModel m = ArtifactLoader.open(jar, 1)) {
            LlmConfig config = LlmConfig.load(m.getClass().getClassLoader());
            try (KvCache cache = new KvCache(config.layout(), 2, 2, CONTEXT)) {
                Decoder d = new Decoder(m, config, cache);
                for (int s = 0; s < 2; s++) {
                    int start = cache.append(s, 2);
                    d.step(prompts[s], new int[] {start, start + 1}, new int[] {s, s}, new int[] {1});
                }
                int[] positions = {cache.append(0, 1), cache.append(1, 1)};
                float[] both = d.step(tails, positions, new int[] {0, 1}, new int[] {0, 1});
                for (int s = 0; s < 2; s++) {
                    try (OrtLoop ort = new OrtLoop(wte())) {
                        ort.step(prompts[s][0]);
                        ort.step(prompts[s][1]);
                        double e = maxAbs(ort.step(tails[s]), both, s * VOCAB);
                        assertTrue(e <= TOLERANCE, "sequence " + s + ": max-abs " + e);
                    }
                }
            }
        }
    }

    /** {@code fsc generate} on the jar: the prompt is token ids, the output the greedy ids ORT picks. */
    @Test
    void fscGenerateTakesAndPrintsTokenIds() throws Exception {
        Path jar = compile();
        List<Integer> expected = new ArrayList<>();
        try (OrtLoop ort = new OrtLoop(wte())) {
            double[] logits = null;
            for (int id : PROMPT) {
                logits = ort.step(id);
            }
            for (int i = 0; i < 4; i++) {
                int next = argmax(logits);
                expected.add(next);
                logits = ort.step(next);
            }
        }
        StringWriter out = new StringWriter();
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        int rc;
        try {
            System.setOut(new java.io.PrintStream(sysOut, true, java.nio.charset.StandardCharsets.UTF_8));
            rc = Main.execute(
                    new PrintWriter(out, true),
                    new PrintWriter(new StringWriter(), true),
                    "generate",
                    jar.toString(),
                    "--prompt",
                    "3,7,11",
                    "--max-tokens",
                    "4",
                    "--temperature",
                    "0");
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, rc);
        String text = (sysOut.toString(java.nio.charset.StandardCharsets.UTF_8) + out).strip();
        int[] ids = java.util.Arrays.stream(text.split("\\s+"))
                .mapToInt(Integer::parseInt)
                .toArray();
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), ids, text);
    }
}
