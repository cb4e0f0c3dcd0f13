package fsc.cli;

import fsc.cli.perf.AlternatedRounds;
import fsc.cli.perf.DecoderBench;
import fsc.cli.perf.EncoderBench;
import fsc.cli.perf.LlamaBenchPeer;
import fsc.cli.perf.LlamaBenchTable;
import fsc.cli.perf.ModelSignature;
import fsc.cli.perf.SyntheticInputs;
import fsc.compiler.perf.Stats;
import fsc.ir.FscException;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.perf.NodeTable;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fsc bench}: speed of a compiled model. An encoder or any ONNX model: latency percentiles
 * and throughput over random inputs that fit its signature (or {@code --input}), after a warm-up
 * that runs until timings settle. A decoder compiled from GGUF: llama-bench's prefill ({@code ppN})
 * and decode ({@code tgN}) tests, printed as llama-bench's Markdown table, optionally next to
 * llama-bench itself run on the same GGUF file ({@code --peer}). The ONNX Runtime comparison lives
 * in the tests module (see BENCHMARKS.md), because ONNX Runtime is a test-only dependency.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Time a model: latency percentiles, or llama-bench's pp/tg tests for a decoder.",
            "MODEL is a jar from 'fsc compile', or an .onnx/.gguf file (compiled into the cache first).",
            "",
            "Encoders and other ONNX models: random inputs that fit the signature (token",
            "ids within the embedding table, masks 1, floats N(0,1)) or --input. Warm-up",
            "runs until a window's median is within --settle of the previous window's and",
            "the JIT is done; then --runs timed runs: min/median/p90/p99 and throughput.",
            "",
            "Decoders compiled from GGUF: llama-bench's tests, ppN (prefill N tokens) and",
            "tgN (decode N tokens), as 'mean ± sd' t/s over -r repetitions, printed as",
            "llama-bench's Markdown table; --peer runs llama-bench on --gguf as well, after",
            "fsc's tests for each thread count; --rounds K alternates the two K times.",
            "",
            "Options that do not apply to the model are refused (exit 2).",
            "",
            "Examples:",
            "  fsc bench minilm.jar --batch 8 --seq 128 --threads 1,2 --runs 100",
            "  fsc bench mnist.onnx",
            "  fsc bench stories.jar -p 128,512 -n 64 -t 1,2 -r 3 --gguf stories.gguf \\",
            "      --peer llama-bench=$BIN/llama-bench",
            "  fsc bench m.jar -p 0 -n 64 -t 1 -r 2 --rounds 3 --gguf m.gguf --peer llama-bench=$BIN/llama-bench"
        })
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A compiled .jar, or an .onnx or .gguf model.")
    Path model;

    @Option(
            names = {"-t", "--threads"},
            split = ",",
            paramLabel = "N[,N...]",
            description = "Worker threads; a list benches each. Default: 1.")
    List<Integer> threads = new ArrayList<>(List.of(1));

    @Option(
            names = "--settle",
            paramLabel = "FRACTION",
            defaultValue = "0.03",
            description =
                    "Warm-up ends when two consecutive windows' medians differ by at most this. Default: ${DEFAULT-VALUE}.")
    double settle;

    @Option(
            names = "--warmup-max",
            paramLabel = "SECONDS",
            defaultValue = "60",
            description =
                    "Stop warming up after this long even if timings have not settled. Default: ${DEFAULT-VALUE}.")
    double warmupMax;

    // ---- encoders / any ONNX model

    @Option(
            names = "--batch",
            paramLabel = "B",
            description = "Encoders: value of the symbol at axis 0 of the inputs. Default: 1.")
    Long batch;

    @Option(
            names = "--seq",
            paramLabel = "S",
            description = "Encoders: value of the symbol at axis 1 of the inputs. Default: min(128, bound).")
    Long seq;

    @Option(names = "--dim", paramLabel = "SYM=N", description = "Encoders: value of any symbol (see 'fsc inspect').")
    Map<String, Long> dims = new LinkedHashMap<>();

    @Option(
            names = "--input",
            paramLabel = "NAME=FILE",
            description = "Encoders: a real input (.npy or .pb); give all or none.")
    Map<String, Path> inputs = new LinkedHashMap<>();

    @Option(names = "--runs", paramLabel = "N", description = "Encoders: timed runs after warm-up. Default: 100.")
    Integer runs;

    // ---- decoders

    @Option(
            names = {"-p", "--n-prompt"},
            split = ",",
            paramLabel = "N[,N...]",
            description = "Decoders: prefill tests ppN (0: none). Default: 512.")
    List<Integer> prompts;

    @Option(
            names = {"-n", "--n-gen"},
            split = ",",
            paramLabel = "N[,N...]",
            description = "Decoders: decode tests tgN (0: none). Default: 128.")
    List<Integer> gens;

    @Option(
            names = {"-d", "--n-depth"},
            split = ",",
            paramLabel = "N[,N...]",
            description = "Decoders: run every test after N tokens already in the context (llama-bench's -d;"
                    + " tests are named 'tg64 @ d2048'). Default: 0.")
    List<Integer> depths;

    @Option(
            names = {"-r", "--repetitions"},
            paramLabel = "N",
            description = "Decoders: timed repetitions per test. Default: 5 (as llama-bench).")
    Integer reps;

    @Option(
            names = "--gguf",
            paramLabel = "FILE",
            description = "Decoders: the GGUF file the jar was compiled from (params, size, and the peer's input).")
    Path gguf;

    @Option(
            names = "--peer",
            paramLabel = "llama-bench=PATH",
            description =
                    "Decoders: also run llama.cpp's llama-bench (PATH, or env FSC_LLAMA_BENCH) on --gguf; print both tables and ratios.")
    Map<String, Path> peer = new LinkedHashMap<>();

    @Option(
            names = "--rounds",
            paramLabel = "K",
            description =
                    "Decoders with --peer: per thread count, run fsc's tests and then llama-bench's, K times in turn"
                            + " (each with -r repetitions), so a slow spell of a shared machine lands on both;"
                            + " tables pool all repetitions, ratios show each round's range. Default: 1.")
    Integer rounds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        for (int t : threads) {
            if (t < 1) {
                throw new FscException("--threads must be positive, got " + t);
            }
        }
        if (settle <= 0 || settle >= 1 || warmupMax <= 0) {
            throw new FscException("--settle must be in (0, 1) and --warmup-max positive");
        }
        if (model.getFileName().toString().endsWith(".gguf") && gguf == null) {
            gguf = model;
        }
        boolean decoder = isDecoder(model);
        if (decoder) {
            // A decoder's graph inputs (token ids, positions, block_table, kv_cache) are the paged
            // cache's internals: it is timed by llama-bench's tests, never by tensors a user passes.
            String what = "a decoder (" + model.getFileName() + "; time it with -p N prefill and -n N decode tests)";
            refuse(what, "--batch", batch, "--seq", seq, "--runs", runs);
            refuse(what, "--dim", dims.isEmpty() ? null : dims, "--input", inputs.isEmpty() ? null : inputs);
        } else {
            refuse("this model (not a GGUF decoder)", "-p", prompts, "-n", gens, "-r", reps);
            refuse("this model (not a GGUF decoder)", "--rounds", rounds, "-d", depths);
            refuse("this model (not a GGUF decoder)", "--gguf", gguf, "--peer", peer.isEmpty() ? null : peer);
        }
        Path jar = FscHome.compileCache().jarFor(model, new Progress(System.err, false));
        PrintWriter out = spec.commandLine().getOut();
        if (decoder) {
            benchDecoder(jar, out);
        } else {
            for (int t : threads) {
                benchModel(jar, t, out);
            }
        }
        out.flush();
        return 0;
    }

    /** A .gguf, or a jar holding fsc/llm.json. */
    private static boolean isDecoder(Path model) {
        String f = model.getFileName().toString();
        if (f.endsWith(".gguf")) {
            return true;
        }
        if (!f.endsWith(".jar")) {
            return false;
        }
        return fsc.runtime.ModelJar.isDecoder(model);
    }

    private static void refuse(String what, String a, Object va, String b, Object vb, String c, Object vc) {
        refuse(what, a, va, b, vb);
        if (vc != null) {
            throw new FscException(c + " does not apply to " + what, "leave " + c + " out; see 'fsc bench --help'");
        }
    }

    private static void refuse(String what, String a, Object va, String b, Object vb) {
        for (Object[] o : new Object[][] {{a, va}, {b, vb}}) {
            if (o[1] != null) {
                throw new FscException(
                        o[0] + " does not apply to " + what, "leave " + o[0] + " out; see 'fsc bench --help'");
            }
        }
    }

    // ---- any model ---------------------------------------------------------------------------------

    private void benchModel(Path jar, int t, PrintWriter out) {
        int n = runs == null ? 100 : runs;
        if (n < 1) {
            throw new FscException("--runs must be positive, got " + n);
        }
        CompiledModel m = ArtifactLoader.open(jar, t);
        try {
            ClassLoader loader = m.getClass().getClassLoader();
            ModelSignature sig = ModelSignature.load(loader);
            List<String> notes = new ArrayList<>();
            NodeTable table = NodeTable.load(loader);
            SyntheticInputs.Run run = SyntheticInputs.resolve(
                    sig, inputs, batch, seq, dims, table == null ? Map.of() : table.inputRanges(), notes);
            Map<String, Long> binding = run.binding();
            Map<String, Tensor> in = run.inputs();
            notes.forEach(s -> System.err.println("[bench] note: " + s));
            EncoderBench.Result r = EncoderBench.run(m, in, new EncoderBench.Options(n, settle, warmupMax), System.err);
            report(out, sig, binding, t, n, r);
        } finally {
            m.close();
        }
    }

    private void report(
            PrintWriter out, ModelSignature sig, Map<String, Long> binding, int t, int n, EncoderBench.Result r) {
        Stats s = r.ms();
        String sizes = binding.isEmpty()
                ? "fixed shapes"
                : binding.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .reduce((a, b) -> a + " " + b)
                        .get();
        out.printf(
                Locale.ROOT,
                "fsc bench %s (%s) threads=%d runs=%d: latency min %.3f ms, median %.3f ms, p90 %.3f ms, p99 %.3f ms%n",
                model.getFileName(),
                sizes,
                t,
                n,
                s.min(),
                s.median(),
                s.p90(),
                s.p99());
        String batchSym = sig.symbolAt(0);
        long b = batchSym == null ? firstDim(sig) : binding.get(batchSym);
        String seqSym = sig.symbolAt(1);
        StringBuilder tp = new StringBuilder(String.format(
                Locale.ROOT,
                "  throughput %.1f calls/s, %.1f samples/s (batch %d)",
                1e3 / s.median(),
                b * 1e3 / s.median(),
                b));
        if (seqSym != null && !seqSym.equals(batchSym)) {
            tp.append(String.format(
                    Locale.ROOT,
                    ", %.0f tokens/s (× %s=%d)",
                    b * binding.get(seqSym) * 1e3 / s.median(),
                    seqSym,
                    binding.get(seqSym)));
        }
        out.println(tp + "; at the median latency, one call at a time");
        out.printf(
                Locale.ROOT,
                "  warm-up %s after %d runs%s; heap alloc/run %d B%n",
                r.settled() ? "settled" : "did NOT settle",
                r.warmupRuns(),
                Double.isNaN(r.lastChange())
                        ? ""
                        : String.format(Locale.ROOT, " (last window change %.1f%%)", 100 * r.lastChange()),
                r.allocPerRun());
        noise(out, s.noisy(), s.p90() / s.median());
    }

    private static long firstDim(ModelSignature sig) {
        List<String> d =
                sig.inputs().isEmpty() ? List.of() : sig.inputs().getFirst().dims();
        return d.isEmpty() ? 1 : ModelSignature.evaluate(d.getFirst(), Map.of());
    }

    /** A note when the spread or the load average says the numbers carry noise. */
    static void noise(PrintWriter out, boolean noisySpread, double p90OverMedian) {
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        if (noisySpread || load > cores) {
            out.printf(
                    Locale.ROOT,
                    "  note: noisy machine (p90/median %.2f, load average %.2f on %d cores): compare against a peer run at the same time%n",
                    p90OverMedian,
                    load,
                    cores);
        } else {
            out.printf(Locale.ROOT, "  load average %.2f on %d cores%n", load, cores);
        }
    }

    // ---- decoders ----------------------------------------------------------------------------------

    private void benchDecoder(Path jar, PrintWriter out) {
        // 0 means "no such test", as llama-bench reads -p 0 / -n 0.
        List<Integer> p = prompts == null
                ? List.of(512)
                : prompts.stream().filter(n -> n != 0).toList();
        List<Integer> g =
                gens == null ? List.of(128) : gens.stream().filter(n -> n != 0).toList();
        if (p.isEmpty() && g.isEmpty()) {
            throw new FscException("-p 0 and -n 0 leave no test to run", "give -p N or -n N with N > 0");
        }
        List<Integer> d = depths == null ? List.of(0) : depths;
        int r = reps == null ? 5 : reps;
        if (r < 1) {
            throw new FscException("-r must be positive, got " + r);
        }
        Path peerExe = peerPath();
        if (peerExe != null && gguf == null) {
            if (!peer.isEmpty()) {
                throw new FscException("--peer needs the GGUF file the jar was compiled from", "add --gguf FILE");
            }
            System.err.println("[bench] note: FSC_LLAMA_BENCH is set but no --gguf was given: llama-bench not run");
            peerExe = null;
        }
        int k = rounds == null ? 1 : rounds;
        if (k < 1) {
            throw new FscException("--rounds must be positive, got " + k);
        }
        if (k > 1 && peerExe == null) {
            throw new FscException(
                    "--rounds alternates fsc with a peer, and no peer is given",
                    "add --peer llama-bench=PATH --gguf FILE, or raise -r for more repetitions");
        }
        String modelLabel = null;
        long size = -1;
        long params = -1;
        if (gguf != null) {
            var info = fsc.frontend.gguf.GgufModelInfo.read(gguf);
            modelLabel = info.architecture() + " " + dominantType(info);
            size = info.tensorBytes();
            params = info.parameters();
        }
        AlternatedRounds alternated = new AlternatedRounds();
        List<String> peerTables = new ArrayList<>();
        boolean unsettled = false;
        boolean noisy = false;
        for (int t : threads) {
            try (CompiledModel m = ArtifactLoader.open(jar, t)) {
                LlmConfig config = LlmConfig.load(m.getClass().getClassLoader());
                DecoderBench.check(config, p, g, d);
                if (modelLabel == null) {
                    modelLabel = config.architecture() + " " + config.numerics();
                    size = config.weightBytes();
                }
                DecoderBench bench = new DecoderBench(m, config, t);
                for (int round = 1; round <= k; round++) {
                    if (k > 1) {
                        System.err.printf(Locale.ROOT, "[bench] %d thread(s), round %d of %d%n", t, round, k);
                    }
                    List<DecoderBench.Row> measured = new ArrayList<>();
                    for (int depth : d) {
                        for (int n : p) {
                            measured.add(bench.prompt(n, depth, r, settle, warmupMax, System.err));
                        }
                        for (int n : g) {
                            measured.add(bench.generate(n, depth, r, settle, warmupMax, System.err));
                        }
                    }
                    List<LlamaBenchTable.Row> ours = new ArrayList<>();
                    for (DecoderBench.Row row : measured) {
                        unsettled |= !row.settled();
                        noisy |= row.tokensPerSecond().sd()
                                > 0.1 * row.tokensPerSecond().mean();
                        ours.add(new LlamaBenchTable.Row(
                                modelLabel,
                                size,
                                params,
                                "fsc (Java)",
                                t,
                                row.test(),
                                row.tokensPerSecond().mean(),
                                row.tokensPerSecond().sd()));
                    }
                    List<LlamaBenchTable.Row> theirs = List.of();
                    if (peerExe != null) {
                        System.err.println("[bench] running " + peerExe + " on " + gguf + " with " + t + " thread(s)");
                        LlamaBenchPeer.Output o = LlamaBenchPeer.run(peerExe, gguf, p, g, d, List.of(t), r);
                        peerTables.add(o.table());
                        theirs = o.rows();
                    }
                    alternated.add(ours, theirs);
                }
            }
        }
        out.print(LlamaBenchTable.render(alternated.fscRows()));
        if (unsettled) {
            out.println(
                    "\nnote: some tests did not settle within --warmup-max (the machine was busy or the JIT still compiling)");
        }
        if (noisy) {
            out.println("note: some tests spread more than 10% (sd/mean): the machine was noisy");
        }
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        out.printf(
                Locale.ROOT,
                "load average %.2f on %d cores%n",
                load,
                Runtime.getRuntime().availableProcessors());
        if (peerExe != null) {
            // llama-bench's own tables as it printed them, one per run (thread count, then round).
            for (String table : peerTables) {
                out.println();
                out.print(table);
            }
            out.println();
            out.print(alternated.ratios());
        }
    }

    private Path peerPath() {
        for (String k : peer.keySet()) {
            if (!k.equals("llama-bench")) {
                throw new FscException("--peer " + k + ": unknown peer", "the one peer is llama-bench=PATH");
            }
        }
        if (peer.containsKey("llama-bench")) {
            return peer.get("llama-bench");
        }
        String env = System.getenv("FSC_LLAMA_BENCH");
        return env == null || env.isBlank() ? null : Path.of(env);
    }

    /** The ggml type holding most bytes, llama.cpp's file-type summary in brief ("Q8_0"). */
    private static String dominantType(fsc.frontend.gguf.GgufModelInfo info) {
        return info.types().stream()
                .max(java.util.Comparator.comparingLong(fsc.frontend.gguf.GgufModelInfo.TypeStats::bytes))
                .map(ts -> ts.type().name())
                .orElse("?");
    }
}
