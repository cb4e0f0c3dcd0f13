package fsc.tests.llm;

import fsc.cli.ArtifactLoader;
import fsc.compiler.CompileDriver;
import fsc.compiler.CompileProgress;
import fsc.compiler.CompileSettings;
import fsc.compiler.LogitsAgreement;
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
                        sequences = greedySequences(m, config, PROMPTS, STEPS);
                    }
                    List<float[][]> logits = new ArrayList<>();
                    for (int[] seq : sequences) {
                        logits.add(teacherForced(m, config, seq, STEPS));
                    }
                    if (reference == null) {
                        reference = logits;
                    }
                    LogitsAgreement agreement = new LogitsAgreement();
                    for (int s = 0; s < logits.size(); s++) {
                        agreement.addAll(reference.get(s), logits.get(s));
                    }
                    md.append(String.format(
                            Locale.ROOT,
                            "| %s | %s | %,d | %.1f | %d/%d | %.2e | %.2e |%n",
                            model,
                            mode,
                            config.weightBytes(),
                            compileS,
                            agreement.sameTop(),
                            agreement.steps(),
                            agreement.meanKl(),
                            agreement.maxKl()));
                }
            }
        }
        System.out.print(md);
        Files.writeString(Path.of("target/bench-requant.md"), md);
    }

    /** The model's greedy continuation of each prompt (prompt ids then {@code steps} generated ids). */
    static List<int[]> greedySequences(CompiledModel m, LlmConfig config, List<String> prompts, int steps) {
        TextCodec codec = new TextCodec(config.tokenizer());
        List<int[]> out = new ArrayList<>();
        for (String prompt : prompts) {
            int[] ids = codec.encode(prompt);
            int[] seq = java.util.Arrays.copyOf(ids, ids.length + steps);
            try (KvCache cache = new KvCache(config.layout(), 16, 1, config.maxContext())) {
                Decoder d = new Decoder(m, config, cache);
                float[] logits = prefill(d, cache, ids);
                for (int i = 0; i < steps; i++) {
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

    /** The next-token logits after each generated position of {@code seq} ({@code steps} rows). */
    static float[][] teacherForced(CompiledModel m, LlmConfig config, int[] seq, int steps) {
        int n = seq.length - steps;
        float[][] out = new float[steps][];
        try (KvCache cache = new KvCache(config.layout(), 16, 1, config.maxContext())) {
            Decoder d = new Decoder(m, config, cache);
            float[] logits = prefill(d, cache, java.util.Arrays.copyOf(seq, n));
            for (int i = 0; i < steps; i++) {
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
}
