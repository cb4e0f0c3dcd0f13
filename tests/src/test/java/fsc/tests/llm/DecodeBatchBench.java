package fsc.tests.llm;

import fsc.cli.ArtifactLoader;
import fsc.frontend.gguf.GgmlType;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What continuous batching is built on: the time of one decode step holding B sequences (one token
 * each, every sequence at the same context length) against B, on the synthetic LLaMA of the serving
 * experiments (dim 1024, 8 layers, Q4_0, 55 MB; override with {@code -Dfsc.bench.llm.dim=...},
 * {@code -Dfsc.bench.llm.type=Q8_0}). If a step of 8 costs about what a step of 1 does, one weight
 * pass serves every sequence and batching multiplies throughput; a benchmark, it asserts nothing.
 *
 * <p>Run: {@code ./mvnw -B -pl tests -am test -Pbench -Dtest=DecodeBatchBench -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Dfsc.bench.threads=1,2}, {@code -Dfsc.bench.llm.context=128}, {@code -Dfsc.bench.llm.batches=1,2,4,8,16}).
 */
@Tag("bench")
class DecodeBatchBench {
    @Test
    void stepTimeAgainstBatch() throws Exception {
        int dim = Integer.getInteger("fsc.bench.llm.dim", 1024);
        SyntheticLlama model = new SyntheticLlama(
                dim,
                Integer.getInteger("fsc.bench.llm.layers", 8),
                Integer.getInteger("fsc.bench.llm.heads", 16),
                Integer.getInteger("fsc.bench.llm.kvHeads", 4),
                Integer.getInteger("fsc.bench.llm.ffn", dim * 11 / 4),
                Integer.getInteger("fsc.bench.llm.vocab", 4096),
                1);
        GgmlType type = GgmlType.valueOf(System.getProperty("fsc.bench.llm.type", "Q4_0"));
        int context = Integer.getInteger("fsc.bench.llm.context", 128);
        int steps = Integer.getInteger("fsc.bench.llm.steps", 12);
        int[] batches = ints(System.getProperty("fsc.bench.llm.batches", "1,2,3,4,6,8,12,16"));
        int[] threadCounts = ints(System.getProperty("fsc.bench.threads", "1,2"));
        int maxBatch = java.util.Arrays.stream(batches).max().orElseThrow();
        Path dir = Files.createTempDirectory("fsc-bench-batch");
        Path gguf = dir.resolve("synth.gguf");
        model.write(gguf, name -> type);
        Path jar = dir.resolve("synth.jar");
        fsc.compiler.CompileDriver.compile(
                fsc.compiler.CompileSettings.builder(gguf, jar)
                        .decoder(new fsc.frontend.gguf.arch.DecoderOptions(context + 2 * steps + 16, 256, maxBatch, 16))
                        .build(),
                new fsc.cli.Progress(System.err, false));
        StringBuilder md = new StringBuilder(String.format(
                Locale.ROOT,
                "model: %s, %s, context %d\n\n| threads | sequences B | step ms | tok/s | step ms / B=1 step ms |\n"
                        + "|---|---|---|---|---|\n",
                model,
                type,
                context));
        for (int threads : threadCounts) {
            try (CompiledModel m = ArtifactLoader.open(jar, threads)) {
                LlmConfig config = LlmConfig.load(m.getClass().getClassLoader());
                double one = 0;
                for (int b : batches) {
                    double ms = stepMs(m, config, b, context, steps);
                    if (b == batches[0]) {
                        one = ms;
                    }
                    md.append(String.format(
                            Locale.ROOT,
                            "| %d | %d | %.2f | %.1f | %.2f |\n",
                            threads,
                            b,
                            ms,
                            b * 1000 / ms,
                            ms / one));
                }
            }
        }
        System.out.println(md);
        Files.writeString(Path.of("target/bench-decode-batch.md"), md.toString());
    }

    /** Median ms of a decode step of {@code b} sequences at {@code context}, after warm-up steps. */
    private static double stepMs(CompiledModel m, LlmConfig config, int b, int context, int steps) {
        int blocksPer = (context + 2 * steps) / 16 + 2;
        try (KvCache cache = new KvCache(config.layout(), blocksPer * b, b, config.maxContext())) {
            Decoder d = new Decoder(m, config, cache);
            for (int s = 0; s < b; s++) {
                cache.append(s, context);
            }
            int[] seq = new int[b];
            int[] rows = new int[b];
            for (int s = 0; s < b; s++) {
                seq[s] = s;
                rows[s] = s;
            }
            double[] ms = new double[steps];
            for (int i = 0; i < 2 * steps; i++) {
                int[] tokens = new int[b];
                int[] pos = new int[b];
                for (int s = 0; s < b; s++) {
                    pos[s] = cache.append(s, 1);
                    tokens[s] = 300 + (7 * s + i) % 1000;
                }
                long t0 = System.nanoTime();
                d.step(tokens, pos, seq, rows);
                if (i >= steps) {
                    ms[i - steps] = (System.nanoTime() - t0) / 1e6;
                }
            }
            java.util.Arrays.sort(ms);
            return ms[steps / 2];
        }
    }

    private static int[] ints(String csv) {
        return java.util.Arrays.stream(csv.split(","))
                .mapToInt(s -> Integer.parseInt(s.trim()))
                .toArray();
    }
}
