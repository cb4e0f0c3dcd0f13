package fsc.tests.bench;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.tests.OrtOracle;
import fsc.tests.TestModels;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
 * fsc's MiniLM jar against ONNX Runtime in one JVM, same inputs, in alternating blocks of calls (rounds).
 * Prints a Markdown table (and writes target/bench-minilm.md): wall-clock medians, the per-round
 * fsc/ORT ratio (median and range over rounds) and the calling thread's CPU time per call. A
 * benchmark, not a test: it asserts nothing about speed.
 *
 * <p>Warm-up: each engine runs at least {@code fsc.bench.warmup} calls and then until the JIT has
 * settled ({@link BenchTiming#warmUntilJitSettles}, capped by {@code fsc.bench.warmupMax} calls and
 * {@code fsc.bench.warmupSeconds}). After each block it prints where the CPUs went ({@link
 * ThreadTimes}: caller, fsc's worker, JIT, collector, the process's other threads such as ORT's
 * pool, other processes), so a slow round says why. {@code fsc.bench.pauseMs} (100) separates blocks.
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl tests -am test -Dtest=MiniLmVsOrtBench -Dfsc.bench.runs=100
 * -Dfsc.bench.rounds=3 -Dfsc.bench.configs=1x128x1,8x128x2} (batch × sequence × threads).
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
        int rounds = Integer.getInteger("fsc.bench.rounds", 3);
        long pauseMs = Long.getLong("fsc.bench.pauseMs", 100);
        int warmupMax = Integer.getInteger("fsc.bench.warmupMax", Math.max(warmup, 2000));
        double warmupSeconds = Double.parseDouble(System.getProperty("fsc.bench.warmupSeconds", "120"));
        List<Config> configs = configs(System.getProperty("fsc.bench.configs", "1x128x1,1x128x2,8x128x1,8x128x2"));
        Path dir = Files.createTempDirectory("fsc-bench");
        Path jar = dir.resolve("minilm.jar");
        if (Main.execute("compile", TestModels.minilm().toString(), "-o", jar.toString(), "--quiet") != 0) {
            throw new IllegalStateException("compile failed");
        }
        StringBuilder md = new StringBuilder();
        md.append("| batch×seq | threads | fsc median ms | fsc p99 ms | ORT median ms | ORT p99 ms"
                + " | fsc/ORT per round (median [min, max]) | fsc cpu ms | ORT cpu ms | fsc/ORT cpu |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Config c : configs) {
            Map<String, Tensor> in = tokens(c.batch, c.seq);
            try (CompiledModel m = ArtifactLoader.open(jar, c.threads);
                    OrtOracle o = new OrtOracle(TestModels.minilm(), c.threads)) {
                Call fscCall = () -> m.run(in);
                Call ortCall = () -> o.run(in);
                int fscWarm = BenchTiming.warmUntilJitSettles(warmup, warmupMax, warmupSeconds, fscCall::run);
                int ortWarm = BenchTiming.warmUntilJitSettles(warmup, warmupMax, warmupSeconds, ortCall::run);
                System.out.printf("%s warm-up calls until the JIT settled: fsc %d, ORT %d%n", c, fscWarm, ortWarm);
                // Rounds alternate the engines in blocks, so a change in the machine's load (it is
                // shared) shows up in both columns of a round; the ratio is taken per round. A pause
                // between blocks lets ONNX Runtime's pool threads stop spinning before fsc runs.
                long[][] fsc = new long[2][0];
                long[][] ort = new long[2][0];
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ThreadTimes.Snapshot s0 = ThreadTimes.snapshot();
                    long[][] f = time(0, runs, fscCall);
                    ThreadTimes.Snapshot s1 = ThreadTimes.snapshot();
                    Thread.sleep(pauseMs);
                    ThreadTimes.Snapshot s2 = ThreadTimes.snapshot();
                    long[][] x = time(0, runs, ortCall);
                    ThreadTimes.Snapshot s3 = ThreadTimes.snapshot();
                    Thread.sleep(pauseMs);
                    ratios[r] = median(f[0]) / median(x[0]);
                    System.out.printf(
                            "(jvm %d ms) %s r%d fsc %.2f ms: %s%n%s r%d ORT %.2f ms: %s%n",
                            ManagementFactory.getRuntimeMXBean().getUptime(),
                            c,
                            r,
                            median(f[0]),
                            ThreadTimes.describe(s0, s1, runs),
                            c,
                            r,
                            median(x[0]),
                            ThreadTimes.describe(s2, s3, runs));
                    fsc = concat(fsc, f);
                    ort = concat(ort, x);
                }
                Arrays.sort(ratios);
                for (long[] t : fsc) {
                    Arrays.sort(t);
                }
                for (long[] t : ort) {
                    Arrays.sort(t);
                }
                md.append(String.format(
                        "| %d×%d | %d | %.2f | %.2f | %.2f | %.2f | %.2f [%.2f, %.2f] | %.2f | %.2f | %.2f |%n",
                        c.batch,
                        c.seq,
                        c.threads,
                        pct(fsc[0], 50),
                        pct(fsc[0], 99),
                        pct(ort[0], 50),
                        pct(ort[0], 99),
                        ratios[rounds / 2],
                        ratios[0],
                        ratios[rounds - 1],
                        pct(fsc[1], 50),
                        pct(ort[1], 50),
                        pct(fsc[1], 50) / pct(ort[1], 50)));
                System.out.print(md);
            }
        }
        Files.writeString(Path.of("target", "bench-minilm.md"), md.toString());
        System.out.println("\n" + md);
        System.out.println("(cpu ms: the calling thread's CPU time per call, the cost on a shared machine; for"
                + " threads > 1 it omits the pool threads' share)");
    }

    /** {@code "1x128x1,8x128x2"}: batch × sequence × threads. */
    private static List<Config> configs(String spec) {
        return Arrays.stream(spec.split(","))
                .map(String::trim)
                .map(c -> c.split("x"))
                .map(p -> new Config(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])))
                .toList();
    }

    /** Wall and calling-thread CPU nanoseconds of {@code runs} calls, after {@code warmup} untimed ones. */
    private static long[][] time(int warmup, int runs, Call call) throws Exception {
        for (int i = 0; i < warmup; i++) {
            call.run();
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[] wall = new long[runs];
        long[] cpu = new long[runs];
        for (int i = 0; i < runs; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            call.run();
            wall[i] = System.nanoTime() - t0;
            cpu[i] = mx.getCurrentThreadCpuTime() - c0;
        }
        return new long[][] {wall, cpu};
    }

    private static long[][] concat(long[][] a, long[][] b) {
        long[][] out = new long[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = Arrays.copyOf(a[i], a[i].length + b[i].length);
            System.arraycopy(b[i], 0, out[i], a[i].length, b[i].length);
        }
        return out;
    }

    private static double median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return pct(s, 50);
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
