package fsc.cli;

import fsc.ir.FscException;
import fsc.runtime.RuntimeFailure;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code fsc} command. Errors a user can act on print one line and exit with 2. */
@Command(
        name = "fsc",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "fsc: an ahead-of-time inference compiler (ONNX -> IR -> passes -> Java Vector API jar).",
        subcommands = {
            CompileCommand.class,
            OptCommand.class,
            RunCommand.class,
            GenerateCommand.class,
            ServeCommand.class,
            LoadtestCommand.class,
            InspectCommand.class,
            DemoCommand.class,
            BenchCommand.class,
            ProfileCommand.class,
            PeaksCommand.class,
            ConformanceCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    static final int EXIT_USER_ERROR = 2;
    static final int EXIT_INTERNAL_ERROR = 3;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces for errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with the given standard output and error writers. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(Main::handle);
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter w = ex.getCommandLine().getErr();
            w.println("fsc: " + ex.getMessage());
            w.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            return EXIT_USER_ERROR;
        });
        return cl.execute(args);
    }

    private static int handle(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        boolean verbose = parseResult.hasMatchedOption("--verbose")
                || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
        PrintWriter err = cl.getErr();
        Throwable t = ex;
        if (t instanceof FscException fe) {
            err.println("fsc: error: " + fe.oneLine());
        } else if (t instanceof RuntimeFailure rf) {
            err.println("fsc: error: " + oneLine(rf.getMessage()));
        } else if (t instanceof java.io.IOException io) {
            err.println("fsc: error: " + io.getClass().getSimpleName() + ": " + oneLine(io.getMessage()));
        } else if (t instanceof OutOfMemoryError) {
            err.println(
                    "fsc: error: out of memory (raise -Xmx through FSC_JAVA_OPTS, or lower the batch/sequence bounds)");
        } else {
            err.println("fsc: internal error: " + t + (verbose ? "" : " (run with --verbose for the stack trace)"));
            if (verbose) {
                t.printStackTrace(err);
            }
            err.flush();
            return EXIT_INTERNAL_ERROR;
        }
        if (verbose) {
            t.printStackTrace(err);
        }
        err.flush();
        return EXIT_USER_ERROR;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ');
    }
}
