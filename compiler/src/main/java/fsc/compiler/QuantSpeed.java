package fsc.compiler;

import fsc.compiler.perf.JitActivity;
import fsc.compiler.perf.Settle;
import fsc.compiler.perf.Stats;
import fsc.ir.DType;
import fsc.ir.interp.HostTensor;
import fsc.runtime.CompiledModel;
import fsc.runtime.ElemType;
import fsc.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The speed half of the quantization report: each variant ({@link QuantVariants}, the jar's kernels)
 * run on the report's inputs, in this JVM. Per variant, a warm-up until its timings settle ({@link
 * Settle}, as {@code fsc bench}; the JIT's queue watched) or {@value #WARMUP_CAP_SECONDS} s, then
 * {@value #ROUNDS} rounds in which every variant runs a few calls in turn (the order rotating), so a
 * slow spell of a shared machine lands on all of them. The first call of each variant on each input
 * also gives its outputs, compared with the fp32 variant's: the accuracy of the compiled code itself.
 */
final class QuantSpeed {
    private QuantSpeed() {}

    /**
     * As {@code fsc bench}'s default: generated code for a model the size of MiniLM can take tens of
     * seconds of calls to reach C2 on a busy machine, and a cap that ends the warm-up before then
     * times interpreted and C1 code (seen: fp32 MiniLM at 16×16 timed at 515 ms after a 12 s cap,
     * 127 ms once settled), which makes every quantized variant look faster than it is.
     */
    static final double WARMUP_CAP_SECONDS = 60;

    static final double TOLERANCE = 0.05;
    static final int ROUNDS = 5;

    /** Timed calls per variant and round: about this long, at least 3 calls. */
    static final double ROUND_SECONDS = 0.4;

    /**
     * One variant's timing.
     *
     * @param ms every timed call's latency
     * @param roundSpeedups per round, fp32's median over this variant's (1 for fp32 itself)
     * @param settled whether its warm-up settled (false: it ran into the cap, the machine was busy)
     * @param accuracy its outputs against the compiled fp32 variant's, on the same inputs
     */
    record Row(
            QuantVariants.Variant variant,
            Stats ms,
            double[] roundSpeedups,
            int warmupRuns,
            boolean settled,
            QuantMeasure.EndToEnd accuracy) {
        /** fp32's median latency over this variant's. */
        double speedup(Row fp32) {
            return fp32.ms().median() / ms.median();
        }
    }

    /**
     * The timing of every variant.
     *
     * @param inputs the inputs' shapes, as the report states them
     * @param loadBefore the system load average when the timing started (negative where unknown)
     * @param loadAfter the same when it ended
     */
    record Result(List<Row> rows, int threads, String inputs, double loadBefore, double loadAfter, int cpus) {
        Row fp32() {
            return rows.getFirst();
        }
    }

    /** Times {@code variants} (fp32 first) on {@code samples}, the calls cycling through them. */
    static Result measure(
            QuantVariants variants, List<Map<String, HostTensor>> samples, int threads, CompileProgress progress) {
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        List<QuantVariants.Loaded> all = variants.loaded();
        List<Map<String, Tensor>> inputs =
                samples.stream().map(QuantSpeed::tensors).toList();

        List<QuantMeasure.EndToEnd> accuracy = accuracy(all, inputs);
        int n = all.size();
        int[] warm = new int[n];
        boolean[] settled = new boolean[n];
        int[] calls = new int[n];
        for (int v = 0; v < n; v++) {
            String name = all.get(v).variant().name();
            progress.step("timing: warming up " + name + " until its timings settle (at most "
                    + (int) WARMUP_CAP_SECONDS + " s)");
            double[] w = warmUp(all.get(v).model(), inputs);
            warm[v] = (int) w[0];
            settled[v] = w[1] > 0;
            progress.step(String.format(
                    Locale.ROOT,
                    "timing: %s %s after %d runs, %s ms a call",
                    name,
                    settled[v] ? "settled" : "still moving (the cap)",
                    warm[v],
                    QuantSpeedTable.ms(w[2] / 1e6)));
            calls[v] = (int) Math.max(3, Math.min(100_000, Math.round(ROUND_SECONDS * 1e9 / Math.max(1, w[2]))));
        }
        List<List<Double>> ms = new ArrayList<>();
        double[][] roundMedians = new double[n][ROUNDS];
        for (int v = 0; v < n; v++) {
            ms.add(new ArrayList<>());
        }
        int next = 0;
        for (int r = 0; r < ROUNDS; r++) {
            progress.step(String.format(Locale.ROOT, "timing: round %d of %d", r + 1, ROUNDS));
            for (int i = 0; i < n; i++) {
                int v = (i + r) % n; // each variant leads a round in turn
                CompiledModel m = all.get(v).model();
                double[] round = new double[calls[v]];
                for (int c = 0; c < calls[v]; c++) {
                    Map<String, Tensor> in = inputs.get(next++ % inputs.size());
                    long a = System.nanoTime();
                    m.run(in);
                    round[c] = (System.nanoTime() - a) / 1e6;
                    ms.get(v).add(round[c]);
                }
                roundMedians[v][r] = Stats.of(round).median();
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            double[] speedups = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                speedups[r] = roundMedians[0][r] / roundMedians[v][r];
            }
            rows.add(new Row(
                    all.get(v).variant(),
                    Stats.of(ms.get(v).stream().mapToDouble(Double::doubleValue).toArray()),
                    speedups,
                    warm[v],
                    settled[v],
                    accuracy.get(v)));
        }
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return new Result(
                rows,
                threads,
                shapes(samples),
                loadBefore,
                loadAfter,
                Runtime.getRuntime().availableProcessors());
    }

    /**
     * Runs the model until its timings settle or {@link #WARMUP_CAP_SECONDS} pass: {runs, settled
     * (1 or 0), the last call's nanoseconds}.
     */
    private static double[] warmUp(CompiledModel model, List<Map<String, Tensor>> inputs) {
        long t0 = System.nanoTime();
        model.run(inputs.getFirst());
        long first = System.nanoTime() - t0;
        Settle settle = new Settle(Settle.windowFor(first, 0.25e9), TOLERANCE, Integer.MAX_VALUE);
        JitActivity jit = new JitActivity();
        long start = System.nanoTime();
        int runs = 1;
        long last = first;
        while (true) {
            long a = System.nanoTime();
            model.run(inputs.get(runs % inputs.size()));
            long b = System.nanoTime();
            last = b - a;
            runs++;
            boolean compiling = jit.allocating(1) || jit.busy();
            if (settle.add(last, compiling) || (b - start) / 1e9 > WARMUP_CAP_SECONDS) {
                return new double[] {runs, settle.settled() ? 1 : 0, last};
            }
        }
    }

    /** Each variant's f32 outputs on every input against the fp32 variant's (the first). */
    private static List<QuantMeasure.EndToEnd> accuracy(
            List<QuantVariants.Loaded> all, List<Map<String, Tensor>> inputs) {
        RowCosines[] rows = new RowCosines[all.size()];
        Arrays.setAll(rows, i -> new RowCosines());
        for (Map<String, Tensor> in : inputs) {
            Map<String, HostTensor> reference =
                    f32Outputs(all.getFirst().model().run(in));
            for (int v = 0; v < all.size(); v++) {
                Map<String, HostTensor> got = f32Outputs(all.get(v).model().run(in));
                for (var e : reference.entrySet()) {
                    rows[v].add(got.get(e.getKey()), e.getValue());
                }
            }
        }
        return Arrays.stream(rows).map(RowCosines::result).toList();
    }

    /** Copies of the f32 outputs of rank 1 or more (the ones a row cosine means something for). */
    private static Map<String, HostTensor> f32Outputs(Map<String, Tensor> out) {
        Map<String, HostTensor> copy = new LinkedHashMap<>();
        out.forEach((name, t) -> {
            if (t.type() == ElemType.F32 && t.rank() >= 1) {
                copy.put(name, HostTensor.ofFloats(t.shape(), t.toFloatArray()));
            }
        });
        return copy;
    }

    /** A sample as the runtime's tensors (the same bytes). */
    static Map<String, Tensor> tensors(Map<String, HostTensor> sample) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        sample.forEach((name, h) -> {
            if (h.dtype() == DType.STRING) {
                out.put(name, Tensor.ofStrings(h.shape(), h.toStringArray()));
                return;
            }
            ByteBuffer b = h.data();
            MemorySegment seg =
                    Arena.ofAuto().allocate(Math.max(1, b.remaining()), 64).asSlice(0, b.remaining());
            seg.copyFrom(MemorySegment.ofBuffer(b));
            out.put(name, new Tensor(ElemType.valueOf(h.dtype().name()), h.shape(), seg));
        });
        return out;
    }

    /** {@code input_ids 16×16, attention_mask 16×16}; with several samples, the first's and the count. */
    private static String shapes(List<Map<String, HostTensor>> samples) {
        StringBuilder b = new StringBuilder();
        samples.getFirst().forEach((name, h) -> {
            if (!b.isEmpty()) {
                b.append(", ");
            }
            b.append(name).append(' ');
            long[] s = h.shape();
            for (int i = 0; i < s.length; i++) {
                b.append(i > 0 ? "×" : "").append(s[i]);
            }
            if (s.length == 0) {
                b.append("scalar");
            }
        });
        return samples.size() == 1 ? b.toString() : b + " (first of " + samples.size() + " samples)";
    }
}
