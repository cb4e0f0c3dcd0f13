package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.backend.java.JavaBackend;
import fsc.cli.ArtifactLoader;
import fsc.compiler.CompileDriver;
import fsc.compiler.CompileProgress;
import fsc.compiler.CompileResult;
import fsc.compiler.CompileSettings;
import fsc.compiler.QuantizeOptions;
import fsc.frontend.gguf.GgmlType;
import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufTensorInfo;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.runtime.CompiledModel;
import fsc.runtime.json.Json;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.Sampler;
import fsc.runtime.llm.TextCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code fsc compile model.gguf --quantize q8_0|q4_0|q4_k} re-quantizes as llama.cpp's {@code
 * llama-quantize} does: every tensor of the compiled graph has llama-quantize's type and bytes, and
 * the jar's greedy tokens are llama.cpp's on its own file. The goldens (per-tensor SHA-256 and
 * llama.cpp's greedy ids, {@code resources/fsc/tests/llm/requant/}) were recorded with
 * tests/scripts/make-requant-goldens.sh; stories260K's Q8_0 bytes are also compared with the shared
 * data's {@code stories260K-Q8_0.gguf}, which llama-quantize made.
 */
class GgufRequantizeTest {
    /** The synthetic model of the goldens: dim 256 so every row is whole Q4_K blocks. */
    static final SyntheticLlama SYNTH = new SyntheticLlama(256, 2, 4, 2, 512, 512, 1);

    private static final Map<String, CompileResult> COMPILED = new HashMap<>();
    private static Path synthF32;

    static synchronized Path source(String model) throws IOException {
        if (model.equals("stories260K")) {
            return GgufReferences.model("stories260K.gguf");
        }
        if (synthF32 == null) {
            synthF32 = Files.createTempDirectory("fsc-requant").resolve("synth256-F32.gguf");
            SYNTH.write(synthF32, name -> GgmlType.F32);
        }
        return synthF32;
    }

    /** {@code model} compiled with {@code --quantize type}, once per test JVM. */
    static CompileResult compiled(String model, String type) throws IOException {
        return compiled(model, type, "f32");
    }

    /** {@code model} compiled with {@code --quantize type --numerics numerics}, once per test JVM. */
    static synchronized CompileResult compiled(String model, String type, String numerics) throws IOException {
        String key = model + "/" + type + "/" + numerics;
        CompileResult r = COMPILED.get(key);
        if (r == null) {
            Path jar = Files.createTempDirectory("fsc-requant").resolve(model + "-" + type + ".jar");
            r = CompileDriver.compile(
                    CompileSettings.builder(source(model), jar)
                            .decoder(new DecoderOptions(256, 64, 4, 16))
                            .numerics(numerics)
                            .quantize(new QuantizeOptions(type.toLowerCase(Locale.ROOT), null, null))
                            .build(),
                    CompileProgress.SILENT);
            COMPILED.put(key, r);
        }
        return r;
    }

    /** Each GGUF tensor as the jar stores it: its type and its bytes in {@code fsc/weights.bin}. */
    record JarTensor(DType dtype, ByteBuffer bytes) {}

    static Map<String, JarTensor> jarTensors(CompileResult r) throws IOException {
        Graph g = r.graph();
        byte[] bin;
        try (ZipFile zip = new ZipFile(r.jar().toFile())) {
            ZipEntry e = zip.getEntry("fsc/weights.bin");
            assertNotNull(e, "the jar has no fsc/weights.bin");
            try (InputStream in = zip.getInputStream(e)) {
                bin = in.readAllBytes();
            }
        }
        Map<Value, Long> offsets = JavaBackend.weightOffsets(g);
        Map<String, JarTensor> out = new HashMap<>();
        for (Constant c : g.constants()) {
            Long at = offsets.get(c.value());
            if (at != null) {
                WeightData w = g.weights().get(c.weight());
                int size = Math.toIntExact(w.dtype().bytesFor(w.elementCount()));
                out.put(
                        c.weight(),
                        new JarTensor(
                                w.dtype(),
                                ByteBuffer.wrap(bin, Math.toIntExact(at), size).slice()));
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"stories260K, Q8_0", "stories260K, Q4_0", "synth256, Q8_0", "synth256, Q4_0", "synth256, Q4_K"})
    void everyTensorHasLlamaQuantizesTypeAndBytes(String model, String type) throws Exception {
        Map<String, JarTensor> weights = jarTensors(compiled(model, type));
        List<String> lines = resourceLines(model + "-" + type + ".sha256");
        assertTrue(lines.size() > 20, "golden lines: " + lines.size());
        for (String line : lines) {
            String[] f = line.split(" ");
            JarTensor w = weights.get(f[0]);
            assertNotNull(w, "the jar has no weight " + f[0]);
            assertEquals(f[1], GgmlType.of(w.dtype()).orElseThrow().name(), f[0] + "'s type");
            assertEquals(f[2], sha256(w.bytes()), f[0] + "'s bytes differ from llama-quantize's");
        }
    }

    /** The Q8_0 twin in the shared data is llama-quantize's output: the jar's weights equal its tensors. */
    @Test
    void q8_0WeightsEqualTheSharedLlamaQuantizeFile() throws Exception {
        Map<String, JarTensor> weights = jarTensors(compiled("stories260K", "Q8_0"));
        try (GgufFile llama = GgufFile.open(GgufReferences.model("stories260K-Q8_0.gguf"))) {
            for (GgufTensorInfo t : llama.tensors()) {
                JarTensor w = weights.get(t.name());
                assertNotNull(w, t.name());
                assertEquals(
                        t.type().name(), GgmlType.of(w.dtype()).orElseThrow().name(), t.name());
                assertEquals(llama.tensorData(t).asByteBuffer(), w.bytes(), t.name() + "'s bytes");
            }
        }
    }

    /**
     * Greedy decoding of the re-quantized jar against llama.cpp's on llama-quantize's file, each step
     * fed llama.cpp's token (teacher forcing), so one near tie cannot derail the rest. stories260K
     * must match at every step (its references have no near ties); the random synthetic model may
     * part at a step where llama.cpp's token is within {@link #NEAR_TIE} of fsc's top logit (in f32
     * numerics fsc computes in f32 what llama.cpp rounds to 8 bits; llama-cpp numerics round as it
     * does, activations of the re-quantized matmuls included).
     */
    @ParameterizedTest
    @CsvSource({
        "stories260K, Q8_0, f32",
        "stories260K, Q4_0, f32",
        "synth256, Q8_0, f32",
        "synth256, Q4_0, f32",
        "synth256, Q4_K, f32",
        "stories260K, Q8_0, llama-cpp",
        "stories260K, Q4_0, llama-cpp",
        "synth256, Q4_0, llama-cpp"
    })
    void greedyTokensAreLlamaCppsOnItsOwnFile(String model, String type, String numerics) throws Exception {
        Path jar = compiled(model, type, numerics).jar();
        int nearTies = 0;
        int steps = 0;
        StringBuilder log = new StringBuilder();
        try (CompiledModel m = ArtifactLoader.open(jar, 1)) {
            LlmConfig config = LlmConfig.load(m.getClass().getClassLoader());
            TextCodec codec = new TextCodec(config.tokenizer());
            for (Map<String, Object> ref : greedy(model, type)) {
                int[] prompt = ints(ref.get("prompt_token_ids"));
                int[] expected = ints(ref.get("generated_token_ids"));
                assertArrayEquals(prompt, codec.encode((String) ref.get("prompt")), "prompt ids");
                try (KvCache cache = new KvCache(config.layout(), 16, 1, config.maxContext())) {
                    Decoder d = new Decoder(m, config, cache);
                    int n = prompt.length;
                    cache.append(0, n);
                    int[] positions = new int[n];
                    for (int i = 0; i < n; i++) {
                        positions[i] = i;
                    }
                    float[] logits = d.step(prompt, positions, new int[n], new int[] {n - 1});
                    for (int step = 0; step < expected.length; step++) {
                        int best = Sampler.argmax(logits, 0, config.vocab());
                        steps++;
                        if (best != expected[step]) {
                            float gap = logits[best] - logits[expected[step]];
                            log.append(String.format(
                                    Locale.ROOT,
                                    " '%s' step %d: fsc %d, llama.cpp %d, %.4f below;",
                                    ref.get("prompt"),
                                    step,
                                    best,
                                    expected[step],
                                    gap));
                            assertTrue(
                                    model.startsWith("synth") && gap <= NEAR_TIE,
                                    model + " " + type + ": llama.cpp's token is no near tie:" + log);
                            nearTies++;
                        }
                        int pos = cache.append(0, 1);
                        logits = d.step(new int[] {expected[step]}, new int[] {pos}, new int[] {0}, new int[] {0});
                    }
                }
            }
        }
        System.err.printf(
                Locale.ROOT,
                "GgufRequantizeTest: %s %s %s: %d of %d steps llama.cpp's token%s%n",
                model,
                type,
                numerics,
                steps - nearTies,
                steps,
                log);
    }

    /**
     * In llama-cpp numerics a matmul on a weight that re-quantization made a K-quant quantizes its
     * activations to Q8_K, one on a new Q4_0 or Q8_0 weight to Q8_0, as such matmuls on weights read
     * from a file do.
     */
    @ParameterizedTest
    @CsvSource({"q4_k, q8_k", "q8_0, q8_0", "q4_0, q8_0"})
    void llamaCppNumericsMarkTheRequantizedMatmuls(String type, String projectionActivations) throws Exception {
        CompileResult r = compiled("synth256", type.toUpperCase(Locale.ROOT), "llama-cpp");
        int projections = 0;
        for (fsc.ir.Node n : r.graph().nodes()) {
            if (!n.op().equals("qmatmul")) {
                continue;
            }
            DType w = n.input(1).dtype();
            String want = w.llamaCppVecDotType();
            assertEquals(
                    want == null ? null : new fsc.ir.Attr.Str(want),
                    n.attrs().get("activations"),
                    n.name() + " on " + w.irName());
            projections += projectionActivations.equals(want) ? 1 : 0;
        }
        assertTrue(
                projections >= 2 * 7,
                type + ": " + projections + " matmuls quantize activations to " + projectionActivations);
    }

    /** How far below fsc's top logit llama.cpp's token may be at a step where the two part. */
    static final float NEAR_TIE = 0.3f;

    private static List<Map<String, Object>> greedy(String model, String type) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : resourceLines("greedy.jsonl")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(line);
            if (m.get("model").equals(model) && m.get("type").equals(type)) {
                out.add(m);
            }
        }
        assertEquals(2, out.size(), "greedy references for " + model + " " + type);
        return out;
    }

    static List<String> resourceLines(String name) {
        try (InputStream in = GgufRequantizeTest.class.getResourceAsStream("requant/" + name)) {
            assertNotNull(in, "test resource requant/" + name + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .filter(l -> !l.isBlank())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(ByteBuffer b) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(b.duplicate());
        return HexFormat.of().formatHex(md.digest());
    }

    private static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }
}
