package fsc.cli;

import fsc.cli.edge.AotCacheTrainer;
import fsc.cli.edge.Launcher;
import fsc.cli.edge.OciLayout;
import fsc.cli.edge.OneCallPolicy;
import fsc.cli.edge.RuntimeImage;
import fsc.runtime.ModelJar;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.perf.ProcessStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fsc package}: a model jar as a folder that runs without a JDK. */
@Command(
        name = "package",
        mixinStandardHelpOptions = true,
        description = {
            "Package a compiled model jar as a self-contained folder that runs on a machine without a JDK.",
            "",
            "DIR/runtime is a jlinked Java runtime with only the modules the jar needs, DIR/lib holds the jar",
            "and a JDK AOT cache trained on calls with random inputs, and DIR/bin/NAME runs the model:",
            "  DIR/bin/NAME --input NAME=FILE.npy ... [--output-dir OUT] [--threads N]",
            "",
            "Example:",
            "  fsc compile all-minilm-l6-v2.onnx -o minilm.jar",
            "  fsc package minilm.jar -o minilm"
        })
final class PackageCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.jar", description = "A jar written by fsc compile.")
    Path jar;

    @Option(
            names = {"-o", "--output"},
            required = true,
            paramLabel = "DIR",
            description = "The folder to write; must not exist or be empty.")
    Path output;

    @Option(
            names = "--name",
            paramLabel = "NAME",
            description = "The launcher's name (bin/NAME); default: the jar's file name without .jar.")
    String name;

    @Option(
            names = "--train-calls",
            paramLabel = "N",
            defaultValue = "8",
            description = "Calls per input shape in the AOT cache's training run (default: ${DEFAULT-VALUE}).")
    int trainCalls;

    @Option(
            names = "--train-bind",
            paramLabel = "SYM=N[,SYM=N...]",
            description = "An input shape to train on, repeatable; default: 1 on each input's first symbolic"
                    + " axis and 16, then 128, on the others.")
    List<String> trainBindings = new ArrayList<>();

    @Option(names = "--no-aot-cache", description = "Skip the AOT cache (a smaller folder and a slower start).")
    boolean noAotCache;

    @Option(
            names = "--oci-layout",
            paramLabel = "IMAGE_DIR",
            description = "Also write the folder as an OCI image layout (no daemon needed; load it with podman"
                    + " or skopeo): FROM scratch plus the C libraries the runtime links, entrypoint the model.")
    Path ociLayout;

    @Option(names = "--tag", paramLabel = "TAG", description = "The OCI layout's image name (default: NAME:latest).")
    String tag;

    @Option(names = "--quiet", description = "Print only the summary line.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (ModelJar.isDecoder(jar) && !trainBindings.isEmpty()) {
            throw new RuntimeFailure("--train-bind applies to tensor models; a decoder trains on a short generate");
        }
        checkModelJar(jar);
        String launcherName = name != null ? name : defaultName(jar);
        if (!launcherName.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new RuntimeFailure(
                    "--name '" + launcherName + "' is not a portable file name (letters, digits, . _ -)");
        }
        if (trainCalls < 1) {
            throw new RuntimeFailure("--train-calls wants a positive integer, got " + trainCalls);
        }
        for (String b : trainBindings) {
            if (!b.matches("[A-Za-z_][A-Za-z0-9_]*=[0-9]+(,[A-Za-z_][A-Za-z0-9_]*=[0-9]+)*")) {
                throw new RuntimeFailure("--train-bind wants SYM=N[,SYM=N...], got '" + b + "'");
            }
        }
        prepareOutput(output);
        if (ociLayout != null) {
            prepareOutput(ociLayout);
        }
        Progress progress = new Progress(System.out, quiet);

        progress.step("finding the modules " + jar.getFileName() + " needs (jdeps)");
        List<String> modules = RuntimeImage.modulesOf(jar);
        progress.step("linking a runtime of " + String.join(",", modules) + " (jlink)");
        Path runtime = output.resolve("runtime");
        RuntimeImage.link(modules, runtime);

        Path lib = Files.createDirectories(output.resolve("lib"));
        Path packagedJar = lib.resolve(launcherName + ".jar");
        Files.copy(jar, packagedJar, StandardCopyOption.COPY_ATTRIBUTES);
        AotCacheTrainer.Training training = null;
        if (!noAotCache) {
            progress.step("training the AOT cache (" + trainCalls + " calls per shape)");
            training = AotCacheTrainer.train(
                    runtime, packagedJar, lib.resolve(launcherName + ".aot"), trainCalls, trainBindings);
        }
        Path bin = Files.createDirectories(output.resolve("bin"));
        Path script = bin.resolve(launcherName);
        Set<String> uncovered = OneCallPolicy.uncovered(packagedJar);
        progress.step(
                uncovered.isEmpty()
                        ? "one-call runs: C1 only, every kernel on its scalar twin (docs/EDGE.md section 2)"
                        : "one-call runs: the default JIT tiers (these ops' kernels need C2: "
                                + String.join(", ", uncovered) + ")");
        Files.writeString(script, Launcher.script(launcherName, !noAotCache, uncovered.isEmpty()));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

        if (ociLayout != null) {
            progress.step("writing the OCI image layout " + ociLayout);
            OciLayout.write(
                    output, launcherName, ociLayout, tag != null ? tag : launcherName + ":latest", uncovered.isEmpty());
        }
        progress.report(String.format(
                Locale.ROOT,
                "fsc: %s: %s MB (runtime %s MB, jar %s MB, AOT cache %s MB); run %s%n",
                output,
                mb(sizeOf(output)),
                mb(sizeOf(runtime)),
                mb(Files.size(packagedJar)),
                noAotCache ? "0" : mb(Files.size(lib.resolve(launcherName + ".aot"))),
                script));
        if (training != null) {
            progress.report(measured(training));
        }
        return 0;
    }

    /**
     * The training run's numbers, beside the size: its first and last call on the first shape (in a
     * JVM writing the cache, one thread) and its peak RSS; energy is not measured by a training run.
     */
    static String measured(AotCacheTrainer.Training t) {
        StringBuilder sb = new StringBuilder("fsc: training run: ");
        List<Double> ms = t.callMillis();
        if (!ms.isEmpty()) {
            sb.append(String.format(
                    Locale.ROOT,
                    "%s first call %.1f ms, call %d %.1f ms, ",
                    t.shape(),
                    ms.getFirst(),
                    ms.size(),
                    ms.getLast()));
        }
        sb.append(
                t.peakRssBytes() < 0
                        ? "peak RSS unknown"
                        : "peak RSS " + mb(t.peakRssBytes())
                                + " MB (VmHWM; the arena, the touched weights and the heap)");
        if (ProcessStats.energyMicrojoules().isEmpty()) {
            sb.append("; energy not measurable here (no readable RAPL counters under /sys/class/powercap)");
        }
        return sb.append(System.lineSeparator()).toString();
    }

    private static void checkModelJar(Path jar) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new RuntimeFailure(jar + ": no such file");
        }
        try (JarFile jf = new JarFile(jar.toFile())) {
            var manifest = jf.getManifest();
            if (manifest == null || manifest.getMainAttributes().getValue(ModelJar.MODEL_CLASS_ATTRIBUTE) == null) {
                throw new RuntimeFailure(
                        jar + ": not an fsc model jar (its manifest has no " + ModelJar.MODEL_CLASS_ATTRIBUTE + ")");
            }
        } catch (java.util.zip.ZipException e) {
            throw new RuntimeFailure(jar + ": not a readable jar (" + e.getMessage() + ")");
        }
    }

    static String defaultName(Path jar) {
        String n = jar.getFileName().toString();
        if (n.endsWith(".jar")) {
            n = n.substring(0, n.length() - 4);
        }
        n = n.replaceAll("[^A-Za-z0-9._-]", "_");
        return n.isEmpty() || !Character.isLetterOrDigit(n.charAt(0)) ? "model" + n : n;
    }

    private static void prepareOutput(Path dir) throws IOException {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new RuntimeFailure(dir + ": exists and is not a directory");
            }
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new RuntimeFailure(dir + ": exists and is not empty (fsc package writes a new folder)");
                }
            }
        } else {
            Files.createDirectories(dir);
        }
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1e6);
    }
}
