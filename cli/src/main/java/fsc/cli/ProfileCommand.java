package fsc.cli;

import fsc.cli.perf.EncoderBench;
import fsc.cli.perf.ModelSignature;
import fsc.cli.perf.ProfileReport;
import fsc.cli.perf.ProfileSvg;
import fsc.cli.perf.SyntheticInputs;
import fsc.ir.FscException;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.perf.MachinePeaks;
import fsc.runtime.perf.NodeProfile;
import fsc.runtime.perf.NodeTable;
import fsc.runtime.perf.ProfiledModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fsc profile}: where a model's time goes. Warms the model up until timings settle (as {@code
 * fsc bench}), then turns on the generated code's per-node timer ({@link ProfiledModel}) for
 * {@code --runs} calls, and joins each node's time with its FLOPs and bytes from the jar's {@code
 * fsc/nodes.json}: achieved GFLOP/s and GB/s against this machine's measured peaks.
 */
@Command(
        name = "profile",
        mixinStandardHelpOptions = true,
        description = {
            "Profile a model per node: time, FLOPs and bytes against this machine's peaks.",
            "Per-node time of a compiled model after warm-up (each node's median over",
            "--runs calls), with its FLOPs and bytes, the GFLOP/s and GB/s it reached, and",
            "their share of this machine's peaks, measured first: f32 FMA with Vector API",
            "chains on every thread, DRAM bandwidth STREAM-style over 1.5 GB. Prints a",
            "table sorted by time and one per op kind; --svg draws both as bar charts.",
            "Timing adds two nanoTime calls per node (~50 ns).",
            "",
            "Examples:",
            "  fsc profile all-minilm-l6-v2.onnx --batch 1 --seq 128 --svg minilm.svg",
            "  fsc profile mnist.jar --threads 2"
        })
final class ProfileCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "MODEL",
            description = "A compiled .jar, or an .onnx model (compiled into the cache first).")
    Path model;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "Worker threads (peaks are measured with as many). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(
            names = "--batch",
            paramLabel = "B",
            description = "Value of the symbol at axis 0 of the inputs. Default: 1.")
    Long batch;

    @Option(
            names = "--seq",
            paramLabel = "S",
            description = "Value of the symbol at axis 1 of the inputs. Default: min(128, bound).")
    Long seq;

    @Option(names = "--dim", paramLabel = "SYM=N", description = "Value of any symbol.")
    Map<String, Long> dims = new LinkedHashMap<>();

    @Option(names = "--input", paramLabel = "NAME=FILE", description = "A real input (.npy or .pb); give all or none.")
    Map<String, Path> inputs = new LinkedHashMap<>();

    @Option(
            names = "--runs",
            defaultValue = "50",
            description = "Profiled calls after warm-up. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--top", defaultValue = "25", description = "Nodes listed (and drawn). Default: ${DEFAULT-VALUE}.")
    int top;

    @Option(names = "--svg", paramLabel = "FILE", description = "Also write the bar charts as SVG.")
    Path svg;

    @Option(names = "--no-peaks", description = "Skip measuring the machine's peaks (about 3 s).")
    boolean noPeaks;

    @Option(
            names = "--stream-mb",
            defaultValue = "1536",
            description =
                    "Total size of the bandwidth test's three arrays, MB; keep it several times the last-level cache. Default: ${DEFAULT-VALUE}.")
    long streamMb;

    @Option(
            names = "--settle",
            defaultValue = "0.03",
            description = "Warm-up settle tolerance, as in bench. Default: ${DEFAULT-VALUE}.")
    double settle;

    @Option(
            names = "--warmup-max",
            paramLabel = "SECONDS",
            defaultValue = "60",
            description = "Warm-up time cap. Default: ${DEFAULT-VALUE}.")
    double warmupMax;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (threads < 1 || runs < 1 || top < 1 || streamMb < 1 || settle <= 0 || settle >= 1 || warmupMax <= 0) {
            throw new FscException(
                    "--threads, --runs, --top, --stream-mb and --warmup-max must be positive, --settle in (0, 1)");
        }
        Path jar = FscHome.compileCache().jarFor(model, new Progress(System.err, false));
        PrintWriter out = spec.commandLine().getOut();
        try (CompiledModel m = ArtifactLoader.open(jar, threads)) {
            ClassLoader loader = m.getClass().getClassLoader();
            if (loader.getResource(LlmConfig.ENTRY) != null) {
                throw new FscException(
                        model + " is a GGUF decoder: profile drives encoder-style models",
                        "time it with 'fsc bench -p N -n N'");
            }
            NodeTable table = NodeTable.load(loader);
            if (!(m instanceof ProfiledModel pm) || table == null) {
                throw new FscException(
                        model + " was compiled without the profiling hook", "recompile it with this fsc");
            }
            if (pm.profileSlots() != table.slots().size()) {
                throw new FscException(jar + ": " + ProfiledModel.NODES_ENTRY + " lists "
                        + table.slots().size() + " slots, the model has " + pm.profileSlots());
            }
            ModelSignature sig = ModelSignature.load(loader);
            List<String> notes = new ArrayList<>();
            SyntheticInputs.Run run =
                    SyntheticInputs.resolve(sig, inputs, batch, seq, dims, table.inputRanges(), notes);
            Map<String, Long> binding = run.binding();
            Map<String, Tensor> in = run.inputs();
            notes.forEach(s -> System.err.println("[profile] note: " + s));
            // Warm-up and the unprofiled latency (the reference the shares are of).
            EncoderBench.Result plain = EncoderBench.run(
                    m, in, new EncoderBench.Options(Math.max(10, runs), settle, warmupMax), System.err);
            // Per call and slot, so each node gets the median of its times: on a shared machine a
            // preemption lands on whichever node is running, and a mean would pin it there.
            NodeProfile profile = new NodeProfile(pm.profileSlots());
            double[][] slotMs = new double[pm.profileSlots()][runs];
            double[] ms = new double[runs];
            pm.profileWith(profile);
            for (int i = 0; i < runs; i++) {
                profile.reset();
                long a = System.nanoTime();
                m.run(in);
                ms[i] = (System.nanoTime() - a) / 1e6;
                for (int s = 0; s < slotMs.length; s++) {
                    slotMs[s][i] = profile.nanos(s) / 1e6;
                }
            }
            pm.profileWith(null);
            double[] medians = new double[slotMs.length];
            double sum = 0;
            for (int s = 0; s < slotMs.length; s++) {
                medians[s] = fsc.compiler.perf.Stats.of(slotMs[s]).median();
                sum += medians[s];
            }
            // The call is the node medians plus the median time outside them, so shares add up to 100%.
            double[] outside = new double[runs];
            for (int i = 0; i < runs; i++) {
                outside[i] = ms[i];
                for (double[] slot : slotMs) {
                    outside[i] -= slot[i];
                }
            }
            double profiledMs =
                    sum + Math.max(0, fsc.compiler.perf.Stats.of(outside).median());
            MachinePeaks peaks = null;
            if (!noPeaks) {
                System.err.println("[profile] measuring machine peaks (FMA, STREAM over " + streamMb + " MB)...");
                peaks = MachinePeaks.measure(threads, streamMb << 20);
            }
            ProfileReport report = ProfileReport.of(table, medians, binding, profiledMs, peaks);
            String sizes = binding.isEmpty()
                    ? "fixed shapes"
                    : String.join(
                            " ",
                            binding.entrySet().stream()
                                    .map(e -> e.getKey() + "=" + e.getValue())
                                    .toList());
            out.printf(
                    java.util.Locale.ROOT,
                    "fsc profile %s (%s) threads=%d: %d profiled calls after warm-up, medians per node; unprofiled median %.3f ms%n",
                    model.getFileName(),
                    sizes,
                    threads,
                    runs,
                    plain.ms().median());
            out.print(report.text(top));
            BenchCommand.noise(
                    out, plain.ms().noisy(), plain.ms().p90() / plain.ms().median());
            if (svg != null) {
                String title = "fsc profile " + model.getFileName() + " (" + sizes + ", " + threads + " thread"
                        + (threads == 1 ? "" : "s") + ")";
                Files.writeString(svg, ProfileSvg.render(report, title, top));
                out.println("wrote " + svg);
            }
        }
        out.flush();
        return 0;
    }
}
