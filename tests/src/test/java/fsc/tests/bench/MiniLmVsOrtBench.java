package fsc.tests.bench;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.tests.OrtOracle;
import fsc.tests.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * fsc's MiniLM jar against ONNX Runtime in one JVM, same inputs, one engine after the other. Prints a Markdown table (and writes target/bench-minilm.md). A
 * benchmark, not a test: it asserts nothing about speed.
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl tests -am test -Dfsc.bench.runs=100}
 */
@Tag("bench")
class MiniLmVsOrtBench {
    record Config(int batch, int seq, int threads) {}

    @FunctionalInterface
    private interface Call {
        void run() throws Exception;
    }

    @Test
    void minilmLatency() throws Exception {
        int runs = Integer.getInteger("fsc.bench.runs", 100);
        int warmup = Integer.getInteger("fsc.bench.warmup", 200);
        Path dir = Files.createTempDirectory("fsc-bench");
        Path jar = dir.resolve("minilm.jar");
        if (Main.execute("compile", TestModels.minilm().toString(), "-o", jar.toString(), "--quiet") != 0) {
            throw new IllegalStateException("compile failed");
        }
        List<Config> configs =
                List.of(new Config(1, 128, 1), new Config(1, 128, 2), new Config(8, 128, 1), new Config(8, 128, 2));
        StringBuilder md = new StringBuilder();
        md.append(
                "| batch×seq | threads | fsc median ms | fsc p99 ms | ORT median ms | ORT p99 ms | ORT/fsc (median) |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (Config c : configs) {
            Map<String, Tensor> in = tokens(c.batch, c.seq);
            long[] fsc;
            long[] ort;
            // One engine after the other, not interleaved: ONNX Runtime's pool threads spin for a
            // while after each call, which would steal the second core from fsc's next block.
            try (CompiledModel m = ArtifactLoader.open(jar, c.threads)) {
                fsc = time(warmup, runs, () -> m.run(in));
            }
            try (OrtOracle o = new OrtOracle(TestModels.minilm(), c.threads)) {
                ort = time(warmup, runs, () -> o.run(in));
            }
            Arrays.sort(fsc);
            Arrays.sort(ort);
            md.append(String.format(
                    "| %d×%d | %d | %.2f | %.2f | %.2f | %.2f | %.2f |%n",
                    c.batch,
                    c.seq,
                    c.threads,
                    pct(fsc, 50),
                    pct(fsc, 99),
                    pct(ort, 50),
                    pct(ort, 99),
                    pct(ort, 50) / pct(fsc, 50)));
            System.out.print(md);
        }
        Files.writeString(Path.of("target", "bench-minilm.md"), md.toString());
        System.out.println("\n" + md);
    }

    private static long[] time(int warmup, int runs, Call call) throws Exception {
        for (int i = 0; i < warmup; i++) {
            call.run();
        }
        long[] t = new long[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            call.run();
            t[i] = System.nanoTime() - t0;
        }
        return t;
    }

    static double pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    static Map<String, Tensor> tokens(int batch, int seq) {
        Random rnd = new Random(1);
        long[] ids = new long[batch * seq];
        long[] mask = new long[batch * seq];
        long[] types = new long[batch * seq];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1000 + rnd.nextInt(20000);
            mask[i] = 1;
        }
        long[] shape = {batch, seq};
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("input_ids", Tensor.ofLongs(shape, ids));
        m.put("attention_mask", Tensor.ofLongs(shape, mask));
        m.put("token_type_ids", Tensor.ofLongs(shape, types));
        return m;
    }
}
