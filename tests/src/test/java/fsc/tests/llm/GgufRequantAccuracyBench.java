package fsc.tests.llm;

import fsc.cli.ArtifactLoader;
import fsc.compiler.CompileDriver;
import fsc.compiler.CompileProgress;
import fsc.compiler.CompileSettings;
import fsc.compiler.QuantizeOptions;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.Sampler;
import fsc.runtime.llm.TextCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The accuracy and memory columns of docs/QUANTIZATION.md's GGUF table: each re-quantized variant of
 * stories260K and of the synthetic dim-256 model against the F32 original, on the F32 model's own
 * greedy continuation of two prompts (teacher forcing, so every variant sees the same tokens): the
 * share of steps whose top token is the F32 model's, and the mean and largest KL divergence of the
 * next-token distribution from F32's. Also the compile time and weight bytes. A tool (tagged {@code
 * bench}), writes {@code tests/target/bench-requant.md}:
 *
 * <pre>{@code
 * ./mvnw -B -Pbench -pl tests -am test -Dtest=GgufRequantAccuracyBench -Dsurefire.failIfNoSpecifiedTests=false
 * }</pre>
 */
@Tag("bench")
class GgufRequantAccuracyBench {
    private static final List<String> PROMPTS = List.of("Once upon a time", "Lily wanted to");
    private static final int STEPS = 64;

    @Test
    void tradeoffs() throws Exception {
        StringBuilder md = new StringBuilder(
                "| model | --quantize | weights (bytes) | compile s | top-1 = F32 | mean KL | max KL |\n"
                        + "|---|---|---:|---:|---:|---:|---:|\n");
        for (String model : List.of("stories260K", "synth256")) {
            List<String> modes = model.equals("synth256")
                    ? List.of("none", "q8_0", "q4_0", "q4_k")
                    : List.of("none", "q8_0", "q4_0");
            List<int[]> sequences = null;
            List<float[][]> reference = null;
            for (String mode : modes) {
                Path jar = Files.createTempDirectory("fsc-requant-bench").resolve(model + "-" + mode + ".jar");
                CompileSettings.Builder b = CompileSettings.builder(GgufRequantizeTest.source(model), jar)
                        .decoder(new DecoderOptions(256, 64, 4, 16));
                if (!mode.equals("none")) {
                    b.quantize(new QuantizeOptions(mode, null, null));
                }
                long t0 = System.nanoTime();
                CompileDriver.compile(b.build(), CompileProgress.SILENT);
                double compileS = (System.nanoTime() - t0) / 1e9;
                try (CompiledModel m = ArtifactLoader.open(jar, 1)) {
                    LlmConfig config = LlmConfig.load(m.getClass().getClassLoader());
                    if (sequences == null) {
                        sequences = greedySequences(m, config);
                    }
                    List<float[][]> logits = new ArrayList<>();
                    for (int[] seq : sequences) {
                        logits.add(teacherForced(m, config, seq));
                    }
                    if (reference == null) {
                        reference = logits;
                    }
                    int agree = 0;
                    int steps = 0;
                    double klSum = 0;
                    double klMax = 0;
                    for (int s = 0; s < logits.size(); s++) {
                        for (int i = 0; i < logits.get(s).length; i++) {
                            float[] p = reference.get(s)[i];
                            float[] q = logits.get(s)[i];
                            agree += Sampler.argmax(p, 0, p.length) == Sampler.argmax(q, 0, q.length) ? 1 : 0;
                            double kl = kl(p, q);
                            klSum += kl;
                            klMax = Math.max(klMax, kl);
                            steps++;
                        }
                    }
                    md.append(String.format(
                            Locale.ROOT,
                            "| %s | %s | %,d | %.1f | %d/%d | %.2e | %.2e |%n",
                            model,
                            mode,
                            config.weightBytes(),
                            compileS,
                            agree,
                            steps,
                            klSum / steps,
                            klMax));
                }
            }
        }
        System.out.print(md);
        Files.writeString(Path.of("target/bench-requant.md"), md);
    }

    /** The model's greedy continuation of each prompt (prompt ids then STEPS generated ids). */
    private static List<int[]> greedySequences(CompiledModel m, LlmConfig config) {
        TextCodec codec = new TextCodec(config.tokenizer());
        List<int[]> out = new ArrayList<>();
        for (String prompt : PROMPTS) {
            int[] ids = codec.encode(prompt);
            int[] seq = java.util.Arrays.copyOf(ids, ids.length + STEPS);
            try (KvCache cache = new KvCache(config.layout(), 16, 1, config.maxContext())) {
                Decoder d = new Decoder(m, config, cache);
                float[] logits = prefill(d, cache, ids);
                for (int i = 0; i < STEPS; i++) {
                    int next = Sampler.argmax(logits, 0, config.vocab());
                    seq[ids.length + i] = next;
                    int pos = cache.append(0, 1);
                    logits = d.step(new int[] {next}, new int[] {pos}, new int[] {0}, new int[] {0});
                }
            }
            out.add(seq);
        }
        return out;
    }

    /** The next-token logits after each generated position of {@code seq} (STEPS rows). */
    private static float[][] teacherForced(CompiledModel m, LlmConfig config, int[] seq) {
        int n = seq.length - STEPS;
        float[][] out = new float[STEPS][];
        try (KvCache cache = new KvCache(config.layout(), 16, 1, config.maxContext())) {
            Decoder d = new Decoder(m, config, cache);
            float[] logits = prefill(d, cache, java.util.Arrays.copyOf(seq, n));
            for (int i = 0; i < STEPS; i++) {
                out[i] = logits;
                int pos = cache.append(0, 1);
                logits = d.step(new int[] {seq[n + i]}, new int[] {pos}, new int[] {0}, new int[] {0});
            }
        }
        return out;
    }

    private static float[] prefill(Decoder d, KvCache cache, int[] ids) {
        int n = ids.length;
        cache.append(0, n);
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = i;
        }
        return d.step(ids, positions, new int[n], new int[] {n - 1});
    }

    /** KL(softmax(p) || softmax(q)) in nats, in double. */
    static double kl(float[] p, float[] q) {
        double[] lp = logSoftmax(p);
        double[] lq = logSoftmax(q);
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            s += Math.exp(lp[i]) * (lp[i] - lq[i]);
        }
        return Math.max(0, s);
    }

    private static double[] logSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        double log = Math.log(sum) + max;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] - log;
        }
        return out;
    }
}
