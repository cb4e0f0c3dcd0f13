package fsc.cli;

import fsc.runtime.ArtifactMain;
import fsc.runtime.ModelJar;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.perf.ProcessStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fsc run}: one inference with a compiled jar, or with a model compiled into the cache first. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Run one inference with a compiled model.",
            "MODEL is a jar from 'fsc compile', or an .onnx file (compiled into a cache first).",
            "Inputs are .npy or ONNX TensorProto .pb files; every output is written as DIR/<name>.npy.",
            "",
            "Example:",
            "  fsc run minilm.jar --input input_ids=ids.npy --input attention_mask=mask.npy"
                    + " --input token_type_ids=tt.npy --output-dir out/"
        })
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A compiled .jar, or an .onnx model.")
    Path model;

    @Option(
            names = "--input",
            paramLabel = "NAME=FILE",
            description = "An input tensor (.npy or .pb); repeat per input.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--output-dir", paramLabel = "DIR", description = "Where to write outputs as .npy files.")
    Path outputDir;

    @Option(names = "--threads", defaultValue = "1", description = "Worker threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(
            names = {"-q", "--quiet"},
            description =
                    "No progress output while compiling, and no closing line of latency, peak RSS and" + " jar size.")
    boolean quiet;

    @Override
    public Integer call() throws java.io.IOException {
        Map<String, Path> given = new LinkedHashMap<>();
        for (String in : inputs) {
            int eq = in.indexOf('=');
            if (eq > 0) {
                given.put(in.substring(0, eq), Path.of(in.substring(eq + 1)));
            }
        }
        Path jar;
        List<String> bound = List.of();
        if (model.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(model)) {
            RunSpecialisation.Result r = RunSpecialisation.jarFor(
                    FscHome.compileCache(), model, given, new Progress(System.err, quiet), System.err);
            jar = r.jar();
            bound = r.boundInputs();
        } else {
            jar = FscHome.compileCache().jarFor(model, new Progress(System.err, quiet));
        }
        if (ModelJar.isDecoder(jar)) {
            throw new RuntimeFailure(model + " is a decoder (compiled from GGUF): it takes a prompt, not"
                    + " tensors; use 'fsc generate " + model + " --prompt TEXT'");
        }
        List<String> args = new ArrayList<>();
        for (String in : inputs) {
            int eq = in.indexOf('=');
            if (eq > 0 && bound.contains(in.substring(0, eq))) {
                continue; // compiled into the jar as a constant
            }
            args.add("--input");
            args.add(in);
        }
        if (outputDir != null) {
            args.add("--output-dir");
            args.add(outputDir.toString());
        }
        args.add("--threads");
        args.add(Integer.toString(threads));
        OptionalLong energy = ProcessStats.energyMicrojoules();
        long start = System.nanoTime();
        ArtifactMain.execute(args.toArray(String[]::new), t -> ModelJar.open(jar, t), System.out);
        if (!quiet) {
            // What an edge deployment sizes for, beside the latency (docs/EDGE.md, section 4).
            System.err.printf(
                    Locale.ROOT,
                    "fsc: %s: open and one call %.1f ms, jar %s MB, %s%n",
                    jar.getFileName(),
                    (System.nanoTime() - start) / 1e6,
                    ProcessStats.mb(Files.size(jar)),
                    ProcessStats.report(energy));
        }
        return 0;
    }
}
