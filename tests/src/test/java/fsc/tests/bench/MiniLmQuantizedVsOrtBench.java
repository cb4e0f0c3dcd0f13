package fsc.tests.bench;

import static fsc.tests.bench.BenchTiming.median;
import static fsc.tests.bench.BenchTiming.pooled;
import static fsc.tests.bench.BenchTiming.time;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.tests.OrtOracle;
import fsc.tests.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The int8 MiniLM ({@code all-minilm-l6-v2-q}: DynamicQuantizeLinear + MatMulInteger) compiled by fsc
 * against ONNX Runtime running the same model, in one JVM, same inputs. Each configuration runs
 * {@code fsc.bench.rounds} rounds of one fsc block then one ORT block (blocks, not interleaved calls:
 * ORT's pool threads spin after each call and would steal the second core), so a load change on a
 * shared machine hits both engines; the table gives the pooled median and p90 and the spread of the
 * per-round median ratio. At one thread both engines compute on the calling thread, so the table
 * also gives the median CPU time of that thread per call: on a machine shared with other jobs the
 * wall clock counts time the thread waited for a core, CPU time does not. Prints Markdown and writes
 * target/bench-minilm-q.md. A benchmark, not a test: it asserts nothing about speed.
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl tests -am test -Dtest=MiniLmQuantizedVsOrtBench
 * -Dsurefire.failIfNoSpecifiedTests=false -Dfsc.bench.runs=40 -Dfsc.bench.warmup=200 -Dfsc.bench.rounds=3}
 *
 * <p>Options: {@code -Dfsc.bench.jar=PATH} benches that fsc jar instead of the one compiled from the
 * published model (e.g. fsc's own {@code fsc compile all-minilm-l6-v2.onnx --quantize int8}), still
 * against ORT on the published int8 model; {@code -Dfsc.bench.threads=1,2} the thread counts;
 * {@code -Dfsc.bench.ort=false} times fsc alone (ORT's session is not even opened), to see what
 * sharing the process with ORT's thread pool does to fsc.
 *
 * <p>Warm-up: each engine runs at least {@code fsc.bench.warmup} calls and then until the JIT has
 * settled ({@link BenchTiming#warmUntilJitSettles}; capped by {@code fsc.bench.warmupMax} calls and
 * {@code fsc.bench.warmupSeconds}); both engines are warm before round 0. After each block the bench
 * prints where the CPUs went ({@link ThreadTimes}: the caller, fsc's worker, the JIT, the collector,
 * the process's other threads (ORT's pool), other processes), so a slow round says why.
 */
@Tag("bench")
class MiniLmQuantizedVsOrtBench {
    record Config(int batch, int seq, int threads) {}

    @Test
    void minilmInt8Latency() throws Exception {
        int runs = Integer.getInteger("fsc.bench.runs", 40);
        int warmup = Integer.getInteger("fsc.bench.warmup", 200);
        int rounds = Integer.getInteger("fsc.bench.rounds", 3);
        long pauseMs = Long.getLong("fsc.bench.pauseMs", 100);
        int warmupMax = Integer.getInteger("fsc.bench.warmupMax", Math.max(warmup, 3000));
        double warmupSeconds = Double.parseDouble(System.getProperty("fsc.bench.warmupSeconds", "120"));
        boolean withOrt = !"false".equals(System.getProperty("fsc.bench.ort"));
        String given = System.getProperty("fsc.bench.jar", "");
        Path jar;
        if (!given.isEmpty()) {
            jar = Path.of(given);
        } else {
            jar = Files.createTempDirectory("fsc-bench").resolve("minilm-q.jar");
            if (Main.execute("compile", TestModels.minilmQuantized().toString(), "-o", jar.toString(), "--quiet")
                    != 0) {
                throw new IllegalStateException("compile failed");
            }
        }
        System.out.println("fsc: " + jar + (withOrt ? "; ORT: " + TestModels.minilmQuantized() : "; ORT not run"));
        List<Config> configs = new ArrayList<>();
        for (String t : System.getProperty("fsc.bench.threads", "1,2").split(",")) {
            configs.add(new Config(1, 128, Integer.parseInt(t.trim())));
        }
        StringBuilder md = new StringBuilder();
        md.append("| batch×seq | threads | fsc median ms | fsc p90 ms | ORT int8 median ms | ORT int8 p90 ms"
                + " | fsc/ORT (median) | per-round fsc/ORT min–max | fsc CPU ms | ORT CPU ms | fsc/ORT (CPU) |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
        for (Config c : configs) {
            Map<String, Tensor> in = MiniLmVsOrtBench.tokens(c.batch, c.seq);
            List<long[]> fsc = new ArrayList<>();
            List<long[]> ort = new ArrayList<>();
            List<long[]> fscCpu = new ArrayList<>();
            List<long[]> ortCpu = new ArrayList<>();
            try (CompiledModel m = ArtifactLoader.open(jar, c.threads);
                    OrtOracle o = withOrt ? new OrtOracle(TestModels.minilmQuantized(), c.threads) : null) {
                int fscWarm = BenchTiming.warmUntilJitSettles(warmup, warmupMax, warmupSeconds, () -> m.run(in));
                int ortWarm = o == null
                        ? 0
                        : BenchTiming.warmUntilJitSettles(warmup, warmupMax, warmupSeconds, () -> o.run(in));
                System.out.printf("%s warm-up calls until the JIT settled: fsc %d, ORT %d%n", c, fscWarm, ortWarm);
                for (int r = 0; r < rounds; r++) {
                    ThreadTimes.Snapshot s0 = ThreadTimes.snapshot();
                    long[][] f = time(0, runs, () -> m.run(in));
                    ThreadTimes.Snapshot s1 = ThreadTimes.snapshot();
                    System.out.printf(
                            "%s r%d fsc %.2f ms: %s%n", c, r, median(f[0]), ThreadTimes.describe(s0, s1, runs));
                    long[][] t = f;
                    if (o != null) {
                        // A pause so that neither engine's spinning pool threads overlap the other's block.
                        Thread.sleep(pauseMs);
                        ThreadTimes.Snapshot s2 = ThreadTimes.snapshot();
                        t = time(0, runs, () -> o.run(in));
                        ThreadTimes.Snapshot s3 = ThreadTimes.snapshot();
                        System.out.printf(
                                "%s r%d ORT %.2f ms: %s%n", c, r, median(t[0]), ThreadTimes.describe(s2, s3, runs));
                        Thread.sleep(pauseMs);
                    }
                    fsc.add(f[0]);
                    fscCpu.add(f[1]);
                    ort.add(t[0]);
                    ortCpu.add(t[1]);
                }
            }
            double lo = Double.MAX_VALUE;
            double hi = 0;
            for (int r = 0; r < rounds; r++) {
                double ratio = median(fsc.get(r)) / median(ort.get(r));
                lo = Math.min(lo, ratio);
                hi = Math.max(hi, ratio);
            }
            StringBuilder perRound = new StringBuilder();
            for (int r = 0; r < rounds; r++) {
                perRound.append(String.format(" r%d fsc %.2f / ORT %.2f;", r, median(fsc.get(r)), median(ort.get(r))));
            }
            System.out.println(c.threads + " thread(s), per-round medians (ms):" + perRound);
            long[] f = pooled(fsc);
            long[] o = pooled(ort);
            String cpu = "– | – | –";
            if (c.threads == 1) {
                double fc = MiniLmVsOrtBench.pct(pooled(fscCpu), 50);
                double oc = MiniLmVsOrtBench.pct(pooled(ortCpu), 50);
                cpu = String.format("%.2f | %.2f | %.2f", fc, oc, fc / oc);
            }
            md.append(String.format(
                    "| %d×%d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f–%.2f | %s |%n",
                    c.batch,
                    c.seq,
                    c.threads,
                    MiniLmVsOrtBench.pct(f, 50),
                    MiniLmVsOrtBench.pct(f, 90),
                    MiniLmVsOrtBench.pct(o, 50),
                    MiniLmVsOrtBench.pct(o, 90),
                    MiniLmVsOrtBench.pct(f, 50) / MiniLmVsOrtBench.pct(o, 50),
                    lo,
                    hi,
                    cpu));
            System.out.print(md);
        }
        Files.writeString(Path.of("target", "bench-minilm-q.md"), md.toString());
        System.out.println("\n" + md);
    }
}
