package fsc.cli;

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
            PackageCommand.class,
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
            w.println(ErrorLine.usage(ex));
            w.flush();
            return EXIT_USER_ERROR;
        });
        return cl.execute(args);
    }

    /** Every exception a command throws ends here: one line, exit 2 for user errors and 3 for internal ones. */
    private static int handle(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        boolean verbose = parseResult.hasMatchedOption("--verbose")
                || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
        PrintWriter err = cl.getErr();
        if (ex instanceof CommandLine.ParameterException pe) {
            err.println(ErrorLine.usage(pe));
            err.flush();
            return EXIT_USER_ERROR;
        }
        String message = ErrorLine.userMessage(ex);
        int code;
        if (message != null) {
            err.println(ErrorLine.PREFIX + message);
            code = EXIT_USER_ERROR;
        } else {
            err.println(ErrorLine.PREFIX + "internal error: " + ErrorLine.oneLine(ex.toString())
                    + (verbose ? "" : " (run with --verbose for the stack trace)"));
            code = EXIT_INTERNAL_ERROR;
        }
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    static String oneLine(String s) {
        return ErrorLine.oneLine(s);
    }
}
