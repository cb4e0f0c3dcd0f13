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
import fsc.tests.bench.BenchTiming.Call;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * all-MiniLM-L6-v2 quantized by fsc ({@code --quantize int8}, {@code int4}) and in f32, against ONNX
 * Runtime on the published int8 model ({@code all-minilm-l6-v2-q}) and the f32 one: 1×128, one
 * thread, one JVM, the same inputs. Each round times one block per engine in turn (blocks, as in
 * {@link MiniLmQuantizedVsOrtBench}), so a load change on the shared machine hits all of them; the
 * table gives median wall and calling-thread CPU time per call and the ratio to ONNX Runtime int8.
 * Prints Markdown and writes target/bench-minilm-quantize.md. A benchmark: asserts nothing.
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl tests -am test -Dtest=MiniLmQuantizeVsOrtBench
 * -Dsurefire.failIfNoSpecifiedTests=false -Dfsc.bench.runs=30 -Dfsc.bench.warmup=100 -Dfsc.bench.rounds=3}
 */
@Tag("bench")
class MiniLmQuantizeVsOrtBench {

    @Test
    void quantizedMinilmLatency() throws Exception {
        int runs = Integer.getInteger("fsc.bench.runs", 30);
        int warmup = Integer.getInteger("fsc.bench.warmup", 100);
        int rounds = Integer.getInteger("fsc.bench.rounds", 3);
        // fsc.bench.jars: a folder with minilm-{int8,int4,f32}.jar from an earlier run, to time only.
        String given = System.getProperty("fsc.bench.jars");
        Path dir = given != null ? Path.of(given) : Files.createTempDirectory("fsc-bench");
        Map<String, Path> jars = new LinkedHashMap<>();
        // fsc.bench.only: the fsc variants to time (default int8,int4,f32); ORT f32 is timed with f32.
        List<String> modes =
                List.of(System.getProperty("fsc.bench.only", "int8,int4,f32").split(","));
        for (String mode : modes) {
            Path jar = dir.resolve("minilm-" + mode + ".jar");
            if (given != null && Files.isRegularFile(jar)) {
                jars.put("fsc " + mode, jar);
                continue;
            }
            List<String> args = new ArrayList<>(List.of(
                    "compile",
                    TestModels.minilm().toString(),
                    "-o",
                    jar.toString(),
                    "--bound",
                    "batch=1",
                    "--bound",
                    "batch_1=128",
                    "--quiet"));
            if (!mode.equals("f32")) {
                args.addAll(List.of(
                        "--quantize", mode, "--quant-report", dir.resolve(mode).toString()));
            }
            if (Main.execute(args.toArray(String[]::new)) != 0) {
                throw new IllegalStateException("compile " + mode + " failed");
            }
            jars.put("fsc " + mode, jar);
        }
        Map<String, Tensor> in = MiniLmVsOrtBench.tokens(1, 128);
        Map<String, List<long[]>> wall = new LinkedHashMap<>();
        Map<String, List<long[]>> cpu = new LinkedHashMap<>();
        List<CompiledModel> models = new ArrayList<>();
        try (OrtOracle ortQ = new OrtOracle(TestModels.minilmQuantized(), 1);
                OrtOracle ortF = new OrtOracle(TestModels.minilm(), 1)) {
            Map<String, Call> calls = new LinkedHashMap<>();
            for (var e : jars.entrySet()) {
                CompiledModel m = ArtifactLoader.open(e.getValue(), 1);
                models.add(m);
                calls.put(e.getKey(), () -> m.run(in));
            }
            calls.put("ORT int8 (published -q model)", () -> ortQ.run(in));
            if (modes.contains("f32")) {
                calls.put("ORT f32", () -> ortF.run(in));
            }
            for (int r = 0; r < rounds; r++) {
                for (var e : calls.entrySet()) {
                    long[][] t = time(r == 0 ? warmup : warmup / 4, runs, e.getValue());
                    wall.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(t[0]);
                    cpu.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(t[1]);
                }
            }
        } finally {
            for (CompiledModel m : models) {
                m.close();
            }
        }
        String ortKey = "ORT int8 (published -q model)";
        double ortWall = MiniLmVsOrtBench.pct(pooled(wall.get(ortKey)), 50);
        double ortCpu = MiniLmVsOrtBench.pct(pooled(cpu.get(ortKey)), 50);
        StringBuilder md = new StringBuilder();
        md.append("| 1×128, 1 thread | median ms | p90 ms | CPU ms | wall / ORT int8 | CPU / ORT int8"
                + " | per-round wall / ORT int8 |\n|---|---:|---:|---:|---:|---:|---|\n");
        for (String k : wall.keySet()) {
            long[] w = pooled(wall.get(k));
            double c = MiniLmVsOrtBench.pct(pooled(cpu.get(k)), 50);
            double lo = Double.MAX_VALUE;
            double hi = 0;
            for (int r = 0; r < rounds; r++) {
                double ratio =
                        median(wall.get(k).get(r)) / median(wall.get(ortKey).get(r));
                lo = Math.min(lo, ratio);
                hi = Math.max(hi, ratio);
            }
            md.append(String.format(
                    "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f–%.2f |%n",
                    k,
                    MiniLmVsOrtBench.pct(w, 50),
                    MiniLmVsOrtBench.pct(w, 90),
                    c,
                    MiniLmVsOrtBench.pct(w, 50) / ortWall,
                    c / ortCpu,
                    lo,
                    hi));
        }
        Files.writeString(Path.of("target", "bench-minilm-quantize.md"), md.toString());
        System.out.println("\n" + md);
    }
}
