package fsc.cli.perf;

import fsc.compiler.perf.JitActivity;
import fsc.compiler.perf.Settle;
import fsc.compiler.perf.Stats;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import java.io.PrintStream;
import java.util.Map;

/**
 * Times {@code model.run(inputs)}: a warm-up that lasts until {@link Settle} says the speed stopped
 * changing (or a time cap), then {@code runs} timed calls. Progress goes to {@code progress} about
 * once a second.
 */
public final class EncoderBench {
    /** Warm-up and timing settings. */
    public record Options(int runs, double tolerance, double warmupCapSeconds) {}

    /** What a bench measured: latencies in ms, how warm-up ended, heap bytes allocated per timed call. */
    public record Result(Stats ms, int warmupRuns, boolean settled, double lastChange, long allocPerRun) {}

    private EncoderBench() {}

    public static Result run(CompiledModel model, Map<String, Tensor> inputs, Options o, PrintStream progress) {
        long t0 = System.nanoTime();
        model.run(inputs);
        double first = System.nanoTime() - t0;
        Settle settle = new Settle(Settle.windowFor(first, 0.25e9), o.tolerance(), 100_000);
        long warmStart = System.nanoTime();
        long lastReport = warmStart;
        int warm = 1;
        JitActivity jit = new JitActivity();
        while (true) {
            long a = System.nanoTime();
            model.run(inputs);
            long b = System.nanoTime();
            warm++;
            boolean allocating = jit.allocating(1);
            boolean queued = jit.busy();
            boolean compiling = allocating || queued;
            if (settle.add(b - a, compiling) || (b - warmStart) / 1e9 > o.warmupCapSeconds()) {
                break;
            }
            if (b - lastReport > 1_000_000_000L) {
                progress.printf(
                        "[bench] warm-up: %d runs, last %.2f ms, window change %s%s%n",
                        warm,
                        (b - a) / 1e6,
                        Double.isNaN(settle.lastChange())
                                ? "-"
                                : String.format(java.util.Locale.ROOT, "%.1f%%", 100 * settle.lastChange()),
                        allocating ? ", allocating (C1 code)" : queued ? ", JIT compiling fsc code" : "");
                lastReport = b;
            }
        }
        progress.printf(
                "[bench] warm-up %s after %d runs (%.1f s)%n",
                settle.settled() ? "settled" : "stopped unsettled", warm, (System.nanoTime() - warmStart) / 1e9);
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long alloc0 = mx.getThreadAllocatedBytes(tid);
        double[] ms = new double[o.runs()];
        lastReport = System.nanoTime();
        for (int i = 0; i < o.runs(); i++) {
            long a = System.nanoTime();
            model.run(inputs);
            long b = System.nanoTime();
            ms[i] = (b - a) / 1e6;
            if (b - lastReport > 1_000_000_000L) {
                progress.printf("[bench] timed %d/%d runs%n", i + 1, o.runs());
                lastReport = b;
            }
        }
        long alloc = (mx.getThreadAllocatedBytes(tid) - alloc0) / o.runs();
        return new Result(Stats.of(ms), warm, settle.settled(), settle.lastChange(), alloc);
    }
}
