package fsc.tests.fuzz;

import fsc.frontend.onnx.proto.Onnx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The seeded mutation run a user can repeat ({@code tests/scripts/mutation-fuzz.sh}): builds valid
 * seed files, makes mutants of ONNX, GGUF, {@code .fsir}, {@code weights.fsw}, {@code .npy} and
 * {@code .pb} files plus hostile external-data file systems, runs each through {@code fsc
 * inspect/compile/run} with a 1 GB heap and a time limit, and classifies the outcome: exit 0, or exit
 * 2 with one printable {@code fsc: error:} line, is good; anything else (another exit code, a stack
 * trace, several lines, an out-of-memory report, a time-out, an escape that compiled) is bad. Bad
 * mutants are kept under {@code OUT/bad/} with the command that reproduces them.
 *
 * <p>Usage: {@code MutationRun --out DIR [--seed N] [--mutants N] [--timeout-s S] [--formats
 * onnx,gguf,...] [--launcher PATH_TO_fsc]}. With {@code --launcher} every mutant runs through the
 * {@code ./fsc} script (a JVM each: slow, but the exact user path); otherwise through {@link
 * FuzzWorker}s (one JVM for many mutants, restarted on a hang).
 */
public final class MutationRun {
    static final List<String> FORMATS =
            List.of("onnx", "onnx-proto", "gguf", "gguf-meta", "fsir", "fsw", "npy", "pb", "ext");

    private final Path out;
    private final SeedFiles seeds;
    private final Onnx.ModelProto seedModel;
    private final Onnx.ModelProto seedExternal;
    private final Runner runner;
    private final int timeoutS;
    private int slowRetried;
    private volatile int done;
    private final Map<String, int[]> counts = new TreeMap<>(); // good0, good2, bad
    private final List<String> findings = new ArrayList<>();

    private MutationRun(Path out, Runner runner, int timeoutS) throws IOException {
        this.timeoutS = timeoutS;
        this.out = out;
        this.seeds = SeedFiles.build(out.resolve("seeds"));
        this.seedModel = Onnx.ModelProto.parseFrom(Files.readAllBytes(seeds.onnx()));
        this.seedExternal = Onnx.ModelProto.parseFrom(Files.readAllBytes(seeds.onnxExternal()));
        this.runner = runner;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new TreeMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        Path out = Path.of(a.getOrDefault("out", "target/mutation-run")).toAbsolutePath();
        long seed = Long.parseLong(a.getOrDefault("seed", "1"));
        int mutants = Integer.parseInt(a.getOrDefault("mutants", "900"));
        int timeout = Integer.parseInt(a.getOrDefault("timeout-s", "20"));
        List<String> formats =
                List.of(a.getOrDefault("formats", String.join(",", FORMATS)).split(","));
        deleteTree(out);
        Files.createDirectories(out);
        Runner runner = a.containsKey("launcher")
                ? new Runner.Launcher(Path.of(a.get("launcher")))
                : new Runner.Workers(out.resolve("home"), out.resolve("worker-stderr.log"));
        int bad;
        try (runner) {
            MutationRun run = new MutationRun(out, runner, timeout);
            bad = run.run(seed, mutants, formats);
        }
        System.exit(bad == 0 ? 0 : 1);
    }

    private int run(long seed, int mutants, List<String> formats) throws Exception {
        Path outside = Files.createDirectories(out.resolve("outside"));
        Files.write(outside.resolve("mlp.weights"), SeedFiles.weightBytes());
        long start = System.nanoTime();
        // Stopped early (Ctrl-C, a time budget), the run still reports what it tried.
        Thread partial = new Thread(() -> {
            try {
                String report = report(seed, done, (System.nanoTime() - start) / 1e9);
                Files.writeString(out.resolve("report.md"), report);
                System.out.print(report);
            } catch (IOException e) {
                System.err.println("cannot write the report: " + e);
            }
        });
        Runtime.getRuntime().addShutdownHook(partial);
        for (int i = 0; i < mutants; i++) {
            String format = formats.get(i % formats.size());
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + i);
            Path work = Files.createDirectories(out.resolve("work").resolve(Integer.toString(i)));
            Trial t = trial(format, i / formats.size(), work, outside, r);
            Runner.Result res = runner.run(t.args(), timeoutS);
            if (res.timedOut()) {
                // A cold JVM's JIT and javac threads also burn CPU: a time-out counts as a hang only
                // if a fresh run with three times the limit overruns it too.
                slowRetried++;
                res = runner.run(t.args(), 3 * timeoutS);
            }
            String verdict = judge(res, t.mustRefuse());
            int[] c = counts.computeIfAbsent(format, k -> new int[3]);
            if (verdict == null) {
                c[res.code() == 0 ? 0 : 1]++;
                deleteTree(work);
            } else {
                c[2]++;
                String line = String.format(
                        Locale.ROOT, "#%d %s [%s] %s: %s", i, format, t.what(), String.join(" ", t.args()), verdict);
                findings.add(line);
                System.out.println("BAD " + line);
                Path keep = out.resolve("bad").resolve(Integer.toString(i));
                Files.createDirectories(keep.getParent());
                Files.move(work, keep);
                Files.writeString(
                        keep.resolve("command.txt"), "fsc " + String.join(" ", t.args()) + "\n" + t.what() + "\n");
                Files.write(keep.resolve("stderr.txt"), res.stderr());
            }
            done = i + 1;
            if ((i + 1) % 100 == 0) {
                System.out.printf(
                        Locale.ROOT,
                        "%d mutants, %d bad, %.0f s%n",
                        i + 1,
                        findings.size(),
                        (System.nanoTime() - start) / 1e9);
            }
        }
        Runtime.getRuntime().removeShutdownHook(partial);
        String report = report(seed, done, (System.nanoTime() - start) / 1e9);
        Files.writeString(out.resolve("report.md"), report);
        System.out.print(report);
        return findings.size();
    }

    record Trial(List<String> args, String what, boolean mustRefuse) {}

    private Trial trial(String format, int n, Path w, Path outside, SplittableRandom r) throws Exception {
        String cmd;
        switch (format) {
            case "onnx", "onnx-proto" -> {
                Mutator.Mutant m = format.equals("onnx")
                        ? Mutator.binary(Files.readAllBytes(seeds.onnx()), r)
                        : ModelMutations.onnx(seedModel, r);
                Path f = write(w, "model.onnx", m.bytes());
                cmd = pick(r, "inspect", "compile", "run");
                return new Trial(modelCommand(cmd, f, w), m.what(), false);
            }
            case "gguf", "gguf-meta" -> {
                byte[] seed = Files.readAllBytes(seeds.gguf());
                Mutator.Mutant m = format.equals("gguf-meta") ? ModelMutations.gguf(seed, r) : null;
                if (m == null) {
                    m = Mutator.binary(seed, r);
                }
                Path f = write(w, "model.gguf", m.bytes());
                return new Trial(modelCommand(pick(r, "inspect", "compile"), f, w), m.what(), false);
            }
            case "fsir" -> {
                Path src = seeds.fsir().get(r.nextInt(seeds.fsir().size()));
                Mutator.Mutant m = Mutator.text(Files.readAllBytes(src), r);
                Files.copy(seeds.weightsFsw(), w.resolve("weights.fsw"));
                Path f = write(w, src.getFileName().toString(), m.bytes());
                return new Trial(
                        modelCommand(pick(r, "inspect", "compile"), f, w), src.getFileName() + ": " + m.what(), false);
            }
            case "fsw" -> {
                Path src = seeds.fsir().getLast();
                Mutator.Mutant m = Mutator.binary(Files.readAllBytes(seeds.weightsFsw()), r);
                write(w, "weights.fsw", m.bytes());
                Path f = Files.copy(src, w.resolve(src.getFileName()));
                return new Trial(modelCommand(pick(r, "inspect", "compile"), f, w), m.what(), false);
            }
            case "npy", "pb" -> {
                Path src = format.equals("npy") ? seeds.npy() : seeds.pb();
                byte[] in = Files.readAllBytes(src);
                Mutator.Mutant m =
                        format.equals("npy") && r.nextBoolean() ? Mutator.text(in, r) : Mutator.binary(in, r);
                Path f = write(w, "x." + format, m.bytes());
                return new Trial(
                        List.of(
                                "run",
                                seeds.jar().toString(),
                                "--input",
                                SeedFiles.INPUT + "=" + f,
                                "--output-dir",
                                w.resolve("out").toString()),
                        m.what(),
                        false);
            }
            case "ext" -> {
                ExternalDataCases.Case c = ExternalDataCases.make(n, w, outside, seedExternal, r);
                // Not inspect: it describes the model without reading external data, so it has no
                // file to refuse.
                return new Trial(modelCommand(pick(r, "compile", "run"), c.model(), w), c.what(), c.mustRefuse());
            }
            default -> throw new IllegalArgumentException("unknown format " + format + "; expected one of " + FORMATS);
        }
    }

    private List<String> modelCommand(String cmd, Path model, Path w) {
        return switch (cmd) {
            case "inspect" -> List.of("inspect", model.toString());
            case "compile" ->
                List.of(
                        "compile",
                        model.toString(),
                        "-q",
                        "-o",
                        w.resolve("out.jar").toString());
            default ->
                List.of(
                        "run",
                        model.toString(),
                        "-q",
                        "--input",
                        SeedFiles.INPUT + "=" + seeds.npy(),
                        "--output-dir",
                        w.resolve("out").toString());
        };
    }

    private static String pick(SplittableRandom r, String... options) {
        return options[r.nextInt(options.length)];
    }

    private static Path write(Path dir, String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    /** Null when the outcome is good, else what was wrong. */
    static String judge(Runner.Result res, boolean mustRefuse) {
        if (res.timedOut()) {
            return "no answer within the time limit (hang): " + new String(res.stderr(), StandardCharsets.UTF_8);
        }
        String err = new String(res.stderr(), StandardCharsets.UTF_8);
        List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
        if (res.code() == 0) {
            return mustRefuse ? "an escaping external-data path was accepted (exit 0)" : null;
        }
        if (res.code() != 2) {
            return "exit " + res.code() + ": " + (lines.isEmpty() ? "(no message)" : lines.getFirst());
        }
        if (lines.size() != 1) {
            return "exit 2 with " + lines.size() + " lines: " + (lines.isEmpty() ? "" : lines.getFirst());
        }
        String line = lines.getFirst();
        if (!line.startsWith("fsc: error: ")) {
            return "exit 2 without an 'fsc: error:' line: " + line;
        }
        for (byte b : res.stderr()) {
            if ((b >= 0 && b < 0x20 && b != '\n' && b != '\r') || b == 0x7f) {
                return "unprintable byte 0x" + Integer.toHexString(b) + " in: " + line;
            }
        }
        if (line.contains("out of memory")) {
            return "out of memory: " + line;
        }
        return null;
    }

    private String report(long seed, int mutants, double seconds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "mutation run: seed %d, %d mutants, %.0f s; %d over the %d s limit were retried with %d s%n%n",
                seed,
                mutants,
                seconds,
                slowRetried,
                timeoutS,
                3 * timeoutS));
        b.append("| input | tried | exit 0 | exit 2 (one line) | bad |\n|---|---:|---:|---:|---:|\n");
        int[] total = new int[3];
        for (var e : counts.entrySet()) {
            int[] c = e.getValue();
            b.append(String.format(
                    Locale.ROOT, "| %s | %d | %d | %d | %d |%n", e.getKey(), c[0] + c[1] + c[2], c[0], c[1], c[2]));
            for (int k = 0; k < 3; k++) {
                total[k] += c[k];
            }
        }
        b.append(String.format(
                Locale.ROOT,
                "| all | %d | %d | %d | %d |%n",
                total[0] + total[1] + total[2],
                total[0],
                total[1],
                total[2]));
        if (!findings.isEmpty()) {
            b.append("\nbad outcomes:\n");
            findings.forEach(f -> b.append("- ").append(f).append('\n'));
        }
        return b.toString();
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
