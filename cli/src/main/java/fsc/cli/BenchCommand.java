package fsc.cli;

import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fsc bench}: latency of a compiled encoder on synthetic token inputs. Reports median, p90,
 * p99 and the Java heap bytes allocated per call after warm-up (the arena should make it ~0).
 * The ONNX Runtime comparison lives in the tests module (see BENCHMARKS.md), because ONNX Runtime
 * is a test-only dependency.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Time a compiled model on synthetic inputs of a given batch and sequence length.",
            "",
            "Example:",
            "  fsc bench minilm.jar --batch 8 --seq 128 --threads 2 --runs 100"
        })
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A compiled .jar, or an .onnx model.")
    Path model;

    @Option(names = "--batch", defaultValue = "1", description = "Batch size. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--seq", defaultValue = "128", description = "Sequence length. Default: ${DEFAULT-VALUE}.")
    int seq;

    @Option(names = "--threads", defaultValue = "1", description = "Worker threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--warmup", defaultValue = "30", description = "Untimed runs first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--runs", defaultValue = "100", description = "Timed runs. Default: ${DEFAULT-VALUE}.")
    int runs;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || seq < 1 || runs < 1 || warmup < 0 || threads < 1) {
            throw new fsc.ir.FscException("--batch, --seq, --runs and --threads must be positive");
        }
        Path jar = ModelCompiler.jarFor(model, new Progress(System.err, false));
        PrintWriter out = spec.commandLine().getOut();
        CompiledModel m = ArtifactLoader.open(jar, threads);
        try {
            Map<String, Tensor> inputs = syntheticTokens(m, batch, seq);
            for (int i = 0; i < warmup; i++) {
                m.run(inputs);
            }
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().threadId();
            long alloc0 = mx.getThreadAllocatedBytes(tid);
            long[] ns = new long[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                m.run(inputs);
                ns[i] = System.nanoTime() - t0;
            }
            long allocPerRun = (mx.getThreadAllocatedBytes(tid) - alloc0) / runs;
            Arrays.sort(ns);
            out.printf(
                    "fsc bench %s batch=%d seq=%d threads=%d runs=%d: median %.2f ms, p90 %.2f ms, p99 %.2f ms,"
                            + " min %.2f ms, heap alloc/run %d B%n",
                    model.getFileName(),
                    batch,
                    seq,
                    threads,
                    runs,
                    pct(ns, 50),
                    pct(ns, 90),
                    pct(ns, 99),
                    ns[0] / 1e6,
                    allocPerRun);
            out.flush();
        } finally {
            m.close();
        }
        return 0;
    }

    static double pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    /** Token-id inputs for an encoder: ids in a common vocabulary range, mask of ones, token types zero. */
    static Map<String, Tensor> syntheticTokens(CompiledModel m, int batch, int seq) {
        Random rnd = new Random(42);
        Map<String, Tensor> in = new LinkedHashMap<>();
        long[] shape = {batch, seq};
        for (String name : m.inputNames()) {
            long[] v = new long[batch * seq];
            String n = name.toLowerCase(java.util.Locale.ROOT);
            for (int i = 0; i < v.length; i++) {
                v[i] = n.contains("mask") ? 1 : n.contains("type") ? 0 : 1000 + rnd.nextInt(20000);
            }
            in.put(name, Tensor.ofLongs(shape, v));
        }
        return in;
    }
}
