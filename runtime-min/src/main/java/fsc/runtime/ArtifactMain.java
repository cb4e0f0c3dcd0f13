package fsc.runtime;

import fsc.runtime.io.Npy;
import fsc.runtime.io.TensorFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The command line of a model jar ({@code java -jar model.jar --input ids=ids.npy}). Generated
 * {@code Main} classes call {@code ArtifactMain.main(args, Model::new)} (jars of earlier fsc
 * versions {@code System.exit(ArtifactMain.run(args, Model::new))}).
 */
public final class ArtifactMain {
    private static final int PREVIEW_VALUES = 8;

    static final String USAGE =
            """
            usage: java --add-modules jdk.incubator.vector -jar model.jar [options]
              --input NAME=FILE   an input tensor (.npy or ONNX TensorProto .pb); repeat per input
              --output-dir DIR    write each output as DIR/<output>.npy
              --threads N         worker threads (default 1)
              --timings           on stderr, how long reading the inputs, opening the model, the call
                                  and writing the outputs took (a fresh process's first result)
              --help              this text
            or:    java --add-modules jdk.incubator.vector -jar model.jar generate --prompt TEXT (decoders; generate --help)""";

    private ArtifactMain() {}

    /**
     * The jar's {@code main}: runs the command line and ends the process with its exit code. On
     * success it returns, and the JVM ends with {@code main} (fsc's threads are daemons), rather than
     * calling {@link System#exit}: that logs the exit through {@code System.getLogger}, whose first
     * use in a process sets up the JDK's logger machinery (a service lookup over the class path),
     * ~10 ms of a fresh process's exit.
     */
    public static void main(String[] args, IntFunction<CompiledModel> factoryByThreads) {
        int code = run(args, factoryByThreads);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Runs the command line; returns the exit code (0, or 2 after a one-line error on stderr). For a
     * process that exits next (the jar's {@code main}): a model that ran is left open, its memory
     * given back by the exit rather than unmapped first.
     */
    public static int run(String[] args, IntFunction<CompiledModel> factoryByThreads) {
        ForeignWarmup.begin(); // a fresh process: overlaps reading the inputs and mapping the jar
        return run(args, factoryByThreads, System.out, System.err);
    }

    public static int run(
            String[] args, IntFunction<CompiledModel> factoryByThreads, PrintStream out, PrintStream err) {
        try {
            // The factory lambda is defined by the jar's generated Main, so its class loader is the
            // jar's: a CUDA jar (fsc/cuda/target.json) opens its GPU model, or says why it cannot.
            factoryByThreads = fsc.runtime.cuda.CudaArtifact.select(
                    factoryByThreads.getClass().getClassLoader(), factoryByThreads, err);
        } catch (RuntimeFailure e) {
            err.println("error: " + oneLine(e.getMessage()));
            return 2;
        }
        if (args.length > 0 && args[0].equals("generate")) {
            // Decoders compiled from GGUF: token generation over the paged KV cache.
            return fsc.runtime.llm.GenerateMain.run(
                    java.util.Arrays.copyOfRange(args, 1, args.length), factoryByThreads, out, err);
        }
        try {
            execute(args, factoryByThreads, out, err, false);
            return 0;
        } catch (RuntimeFailure | IOException e) {
            err.println("error: " + oneLine(e.getMessage()));
            return 2;
        } catch (Exception | Error e) {
            err.println("internal error: " + oneLine(e.toString()));
            return 2;
        }
    }

    /**
     * One inference as the jar's command line describes it, with errors thrown rather than printed:
     * {@link RuntimeFailure} for what the user can fix, {@link IOException} from reading or writing
     * files. The {@code fsc run} command calls this so its errors take the CLI's one shape.
     */
    public static void execute(String[] args, IntFunction<CompiledModel> factoryByThreads, PrintStream out)
            throws IOException {
        execute(args, factoryByThreads, out, System.err, true);
    }

    /**
     * {@link #execute}; {@code close} false leaves the model open, for a process that exits next: the
     * jar's {@code main}. Closing unmaps the weights and the arena, which the exit does anyway, and
     * would link {@code munmap} (a cold JVM's first use of a foreign call shape costs milliseconds).
     */
    private static void execute(
            String[] args, IntFunction<CompiledModel> factoryByThreads, PrintStream out, PrintStream err, boolean close)
            throws IOException {
        Options o = Options.parse(args);
        if (o == null) {
            out.println(USAGE);
            return;
        }
        long start = System.nanoTime();
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : o.inputs().entrySet()) {
            inputs.put(e.getKey(), TensorFiles.read(e.getValue()));
        }
        long read = System.nanoTime();
        CompiledModel model = factoryByThreads.apply(o.threads());
        ForeignWarmup.awaitDone(); // the kernels it assembles are the call's; its CPU is the call's too
        long opened = System.nanoTime();
        try {
            for (String name : model.inputNames()) {
                if (!inputs.containsKey(name)) {
                    throw new RuntimeFailure(
                            "missing --input " + name + "=FILE; the model's inputs are " + model.inputNames());
                }
            }
            Map<String, Tensor> outputs = model.run(inputs);
            long ran = System.nanoTime();
            if (o.outputDir() != null) {
                Files.createDirectories(o.outputDir());
            }
            for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
                out.println(describe(e.getKey(), e.getValue()));
                if (o.outputDir() != null) {
                    Npy.write(o.outputDir().resolve(fileName(e.getKey()) + ".npy"), e.getValue());
                }
            }
            out.flush();
            if (o.timings()) {
                err.printf(
                        java.util.Locale.ROOT,
                        "timings: inputs %.1f ms, open %.1f ms, call %.1f ms, outputs %.1f ms%n",
                        (read - start) / 1e6,
                        (opened - read) / 1e6,
                        (ran - opened) / 1e6,
                        (System.nanoTime() - ran) / 1e6);
            }
        } catch (RuntimeException | Error | IOException e) {
            model.close(); // a failed call is reported, and fsc run goes on: give its memory back
            throw e;
        }
        if (close) {
            model.close();
        }
    }

    /** {@code logits f32[1,10] = [0.1, ...]}: name, dtype, shape and the first few values. */
    static String describe(String name, Tensor t) {
        StringBuilder sb =
                new StringBuilder(name).append(' ').append(t.type().shortName()).append(t.shapeString());
        sb.append(" = [");
        long n = Math.min(PREVIEW_VALUES, t.elementCount());
        for (long i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ", ");
            if (t.type() == ElemType.STRING) {
                String v = t.strings()[(int) i];
                sb.append('"')
                        .append(v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
                        .append('"');
            } else if (t.type().isFloating()) {
                sb.append(t.getFloat(i));
            } else {
                sb.append(t.getLong(i));
            }
        }
        if (t.elementCount() > n) {
            sb.append(", ... (").append(t.elementCount()).append(" values)");
        }
        return sb.append(']').toString();
    }

    /** Output names can hold '/' or ':' (ONNX); keep file names portable. */
    static String fileName(String outputName) {
        String s = outputName.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() || s.startsWith(".") ? "_" + s : s;
    }

    private static String oneLine(String s) {
        return s == null ? "(no message)" : s.replace('\n', ' ');
    }

    private record Options(Map<String, Path> inputs, Path outputDir, int threads, boolean timings) {
        /** The parsed options, or null for --help. */
        static Options parse(String[] args) {
            Map<String, Path> inputs = new LinkedHashMap<>();
            Path outputDir = null;
            int threads = 1;
            boolean timings = false;
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                }
                switch (arg) {
                    case "--help", "-h" -> {
                        return null;
                    }
                    case "--input" -> {
                        String v = value != null ? value : next(args, ++i, arg);
                        int sep = v.indexOf('=');
                        if (sep <= 0 || sep == v.length() - 1) {
                            throw new RuntimeFailure("--input wants NAME=FILE, got '" + v + "'");
                        }
                        String name = v.substring(0, sep);
                        if (inputs.put(name, Path.of(v.substring(sep + 1))) != null) {
                            throw new RuntimeFailure("input '" + name + "' given twice");
                        }
                    }
                    case "--timings" -> timings = true;
                    case "--output-dir" -> outputDir = Path.of(value != null ? value : next(args, ++i, arg));
                    case "--threads" -> {
                        String v = value != null ? value : next(args, ++i, arg);
                        try {
                            threads = Integer.parseInt(v);
                        } catch (NumberFormatException e) {
                            threads = 0;
                        }
                        if (threads < 1) {
                            throw new RuntimeFailure("--threads wants a positive integer, got '" + v + "'");
                        }
                    }
                    default -> throw new RuntimeFailure("unknown option '" + args[i] + "' (try --help)");
                }
            }
            return new Options(inputs, outputDir, threads, timings);
        }

        private static String next(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new RuntimeFailure(option + " needs a value");
            }
            return args[i];
        }
    }
}
