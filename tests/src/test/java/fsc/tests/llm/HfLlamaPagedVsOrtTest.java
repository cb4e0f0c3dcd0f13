package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.ElemType;
import fsc.runtime.Tensor;
import fsc.runtime.json.Json;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.serve.Batching;
import fsc.runtime.serve.LlmServing;
import fsc.runtime.serve.ServeOptions;
import fsc.tests.OrtOracle;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A decoder export in Hugging Face's layout ({@link HfLlamaExport} of stories260K) compiled with
 * {@code --decoder}: the kv-paging pass must find its attention through rotary embeddings, grouped
 * KV heads and the mask built from {@code attention_mask}, and the paged jar must give ONNX
 * Runtime's logits on the export step by step, and llama.cpp's greedy tokens.
 */
class HfLlamaPagedVsOrtTest {
    private static final String MODEL = "stories260K.gguf";
    private static final int VOCAB = 512;
    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path dir;

    /** ONNX Runtime on the export, one token per step with its present fed back as past. */
    static final class OrtSteps implements AutoCloseable {
        private final OrtOracle ort;
        private final int layers;
        private final int kvHeads;
        private final int headDim;
        private Map<String, Tensor> past = new LinkedHashMap<>();
        private int length;

        private final boolean merged;

        OrtSteps(Path model, int layers, int kvHeads, int headDim) throws Exception {
            this(model, layers, kvHeads, headDim, HfLlamaExport.Form.EAGER);
        }

        OrtSteps(Path model, int layers, int kvHeads, int headDim, HfLlamaExport.Form form) throws Exception {
            this.ort = new OrtOracle(model, 1);
            this.merged = form.merged();
            this.layers = layers;
            this.kvHeads = kvHeads;
            this.headDim = headDim;
            for (int l = 0; l < layers; l++) {
                for (String kv : new String[] {"key", "value"}) {
                    past.put("past_key_values." + l + "." + kv, Tensor.ofFloats(new long[] {1, kvHeads, 0, headDim}));
                }
            }
        }

        float[] step(int token) throws Exception {
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("input_ids", Tensor.ofLongs(new long[] {1, 1}, token));
            long[] ones = new long[length + 1];
            java.util.Arrays.fill(ones, 1);
            in.put("attention_mask", Tensor.ofLongs(new long[] {1, length + 1}, ones));
            in.put("position_ids", Tensor.ofLongs(new long[] {1, 1}, length));
            in.putAll(past);
            if (merged) {
                MemorySegment yes = MemorySegment.ofArray(new byte[] {1});
                in.put("use_cache_branch", new Tensor(ElemType.BOOL, new long[] {1}, yes));
            }
            Map<String, float[]> out = ort.run(in);
            length++;
            Map<String, Tensor> next = new LinkedHashMap<>();
            for (int l = 0; l < layers; l++) {
                for (String kv : new String[] {"key", "value"}) {
                    next.put(
                            "past_key_values." + l + "." + kv,
                            Tensor.ofFloats(
                                    new long[] {1, kvHeads, length, headDim}, out.get("present." + l + "." + kv)));
                }
            }
            past = next;
            return out.get("logits");
        }

        @Override
        public void close() throws Exception {
            ort.close();
        }
    }

    /** The export is the model: ORT on it gives the GGUF model's logits (the scalar oracle's) step by step. */
    @Test
    void exportComputesTheGgufModel() throws Exception {
        Path gguf = GgufReferences.model(MODEL);
        Path onnx = HfLlamaExport.write(gguf, dir.resolve("stories260K-hf.onnx"));
        LlamaOracle oracle = new LlamaOracle(gguf, LlamaOracle.Numerics.F32);
        GgufReferences ref = GgufReferences.forModel(MODEL).getFirst();
        double worst = 0;
        try (OrtSteps ort = new OrtSteps(onnx, 5, 4, 8)) {
            for (int id : ref.promptIds()) {
                float[] a = ort.step(id);
                float[] e = oracle.step(id);
                assertEquals(e.length, a.length);
                for (int i = 0; i < e.length; i++) {
                    worst = Math.max(worst, Math.abs(a[i] - e[i]));
                }
            }
        }
        System.out.printf(Locale.ROOT, "HF-layout export under ORT vs the GGUF oracle: max-abs %.2e%n", worst);
        assertTrue(worst < 1e-3, "max-abs " + worst);
    }

    /**
     * The eager export and the merged one whose attention is traced from SDPA, with an f32 cache
     * (held to 1e-4 of ORT); the eager one with an f16 cache too ({@code --kv-cache f16}), whose keys
     * and values are rounded to f16 (relative 2^-11) where ORT keeps f32: measured 1.3e-2 on logits
     * of ~10, held to 3e-2, and the greedy tokens must still be llama.cpp's.
     */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(HfLlamaExport.Form.EAGER, "f32", TOLERANCE),
                Arguments.of(HfLlamaExport.Form.SDPA_MERGED, "f32", TOLERANCE),
                Arguments.of(HfLlamaExport.Form.EAGER, "f16", 3e-2));
    }

    private Path pagedJar(Path onnx) {
        return pagedJar(onnx, "f32");
    }

    private Path pagedJar(Path onnx, String kvCache) {
        Path jar = dir.resolve("stories260K-hf.jar");
        assertEquals(
                0,
                Main.execute(
                        "compile",
                        onnx.toString(),
                        "--decoder",
                        "--kv-cache",
                        kvCache,
                        "-o",
                        jar.toString(),
                        "--quiet"),
                "fsc compile --decoder");
        return jar;
    }

    /**
     * Two prompts prefilled in one step (every row compared), then decoded together, greedily, each
     * step's logits against ONNX Runtime running the export for that sequence alone; the tokens are
     * llama.cpp's for the GGUF file.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void pagedJarMatchesOrtStepByStepAndLlamaCppTokens(HfLlamaExport.Form form, String kvCache, double tolerance)
            throws Exception {
        Path gguf = GgufReferences.model(MODEL);
        Path onnx = HfLlamaExport.write(gguf, dir.resolve("stories260K-hf.onnx"), form);
        List<GgufReferences> refs = GgufReferences.forModel(MODEL).subList(0, 2);
        int decodeSteps = 16;
        double worst = 0;
        try (CompiledModel m = ArtifactLoader.open(pagedJar(onnx, kvCache), 1);
                OrtSteps ort0 = new OrtSteps(onnx, 5, 4, 8, form);
                OrtSteps ort1 = new OrtSteps(onnx, 5, 4, 8, form)) {
            OrtSteps[] ort = {ort0, ort1};
            LlmConfig config = LlmConfig.load(m.getClass().getClassLoader());
            assertEquals(512, config.vocab());
            assertEquals(5, config.layout().layers());
            assertEquals(4, config.layout().kvHeads(), "grouped heads stay grouped in the cache");
            assertEquals(
                    kvCache.equals("f16") ? ElemType.F16 : ElemType.F32,
                    config.layout().kvType());
            assertEquals(8, config.layout().heads());
            try (KvCache cache = new KvCache(config.layout(), 8, 2, 64)) {
                Decoder d = new Decoder(m, config, cache);
                List<Integer> tokens = new ArrayList<>();
                List<Integer> positions = new ArrayList<>();
                List<Integer> seqs = new ArrayList<>();
                for (int s = 0; s < 2; s++) {
                    int[] prompt = refs.get(s).promptIds();
                    int start = cache.append(s, prompt.length);
                    for (int i = 0; i < prompt.length; i++) {
                        tokens.add(prompt[i]);
                        positions.add(start + i);
                        seqs.add(s);
                    }
                }
                int rows = tokens.size();
                float[] prefill = d.step(ints(tokens), ints(positions), ints(seqs), range(rows));
                int[] next = new int[2];
                for (int r = 0; r < rows; r++) {
                    float[] expected = ort[seqs.get(r)].step(tokens.get(r));
                    worst = Math.max(worst, maxAbs(expected, prefill, r * VOCAB));
                    next[seqs.get(r)] = argmax(prefill, r * VOCAB);
                }
                for (int step = 0; step < decodeSteps; step++) {
                    for (int s = 0; s < 2; s++) {
                        assertEquals(refs.get(s).generatedIds()[step], next[s], "sequence " + s + " token " + step);
                    }
                    int[] pos = {cache.append(0, 1), cache.append(1, 1)};
                    float[] logits = d.step(next.clone(), pos, new int[] {0, 1}, new int[] {0, 1});
                    for (int s = 0; s < 2; s++) {
                        worst = Math.max(worst, maxAbs(ort[s].step(next[s]), logits, s * VOCAB));
                        next[s] = argmax(logits, s * VOCAB);
                    }
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "HF-layout stories260K %s, %s cache, paged vs ORT: max-abs %.2e over 2 sequences%n",
                form,
                kvCache,
                worst);
        assertTrue(worst <= tolerance, "max-abs " + worst);
    }

    /** {@code fsc generate} and {@code fsc serve} on the paged jar give llama.cpp's greedy tokens. */
    @Test
    void generateAndServeGiveLlamaCppTokens() throws Exception {
        Path onnx = HfLlamaExport.write(GgufReferences.model(MODEL), dir.resolve("stories260K-hf.onnx"));
        Path jar = pagedJar(onnx);
        GgufReferences ref = GgufReferences.forModel(MODEL).getFirst();
        int n = 24;
        String prompt = java.util.Arrays.stream(ref.promptIds())
                .mapToObj(String::valueOf)
                .collect(Collectors.joining(","));
        String expected = java.util.Arrays.stream(ref.generatedIds(), 0, n)
                .mapToObj(i -> " " + i)
                .collect(Collectors.joining());

        ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        StringWriter out = new StringWriter();
        int rc;
        try {
            System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
            rc = Main.execute(
                    new PrintWriter(out, true),
                    new PrintWriter(new StringWriter(), true),
                    "generate",
                    jar.toString(),
                    "--prompt",
                    prompt,
                    "--max-tokens",
                    Integer.toString(n),
                    "--temperature",
                    "0");
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, rc);
        assertEquals(expected.strip(), (sysOut.toString(StandardCharsets.UTF_8) + out).strip());

        try (CompiledModel m = ArtifactLoader.open(jar, 1)) {
            LlmConfig config = LlmConfig.load(m.getClass().getClassLoader());
            ServeOptions o = new ServeOptions("127.0.0.1", 0, 256, 0, 256, 50, 1000, 0, 0, Batching.CONTINUOUS, false);
            LlmServing serving = LlmServing.start(m, config, o);
            try {
                String body = Json.write(Map.of("prompt", prompt, "max_tokens", n, "temperature", 0.0));
                HttpResponse<String> r = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + serving.port() + "/v1/completions"))
                                        .POST(HttpRequest.BodyPublishers.ofString(body))
                                        .header("Content-Type", "application/json")
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                @SuppressWarnings("unchecked")
                Map<String, Object> json = (Map<String, Object>) Json.parse(r.body());
                @SuppressWarnings("unchecked")
                Map<String, Object> choice = ((List<Map<String, Object>>) json.get("choices")).getFirst();
                assertEquals(expected, choice.get("text"));
            } finally {
                serving.shutdown(1000);
            }
        }
    }

    private static int[] ints(List<Integer> v) {
        return v.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] range(int n) {
        return java.util.stream.IntStream.range(0, n).toArray();
    }

    private static double maxAbs(float[] expected, float[] actual, int offset) {
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
}
