package fsc.cli;

import fsc.cli.conformance.ConformanceReport;
import fsc.cli.conformance.ConformanceRunner;
import fsc.cli.conformance.ConformanceSummary;
import fsc.cli.conformance.NodeTestCase;
import fsc.cli.conformance.TestIndex;
import fsc.ir.FscException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fsc conformance}: the ONNX backend node tests through the whole compiler. */
@Command(
        name = "conformance",
        mixinStandardHelpOptions = true,
        description = {
            "Run the ONNX node tests in DIR and compare with their expected outputs.",
            "Compile every ONNX node test in DIR with the Java backend, run it on its inputs and compare with",
            "its expected outputs (ONNX's rule: exact dtype and shape, |a-e| <= 1e-7 + 1e-3*|e|, NaN == NaN).",
            "Prints one line per test that did not pass (all with --verbose-tests) and, last,",
            "'conformance: N passed, M failed, K skipped'. Exit code 0 when nothing failed, 1 otherwise.",
            "",
            "Example:",
            "  fsc conformance ../shared/data/onnx/node --filter '^test_(add|softmax)' --report"
        })
final class ConformanceCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "A folder laid out like the ONNX node tests.")
    Path dir;

    @Option(names = "--filter", paramLabel = "REGEX", description = "Run only tests whose name contains a match.")
    String filter = "";

    @Option(
            names = "--list",
            paramLabel = "FILE",
            description = "Run only the tests named in FILE (one per line), e.g. a milestone list.")
    Path list;

    @Option(
            names = "--tier",
            paramLabel = "LETTER",
            description =
                    "Run only the tests of this tier of tests.tsv (a encoder, b decoder, c CNN, d quantized, e rest).")
    String tier;

    @Option(
            names = "--report",
            paramLabel = "FILE",
            arity = "0..1",
            fallbackValue = "out/conformance.md",
            description = "Write a Markdown report (per tier, per op, unsupported ops) to FILE, default"
                    + " ${FALLBACK-VALUE}. (The tracked docs/CONFORMANCE.md is the full suite's report.)")
    Path report;

    @Option(names = "--batch", paramLabel = "N", description = "Models per javac call. Default: ${DEFAULT-VALUE}.")
    int batch = 64;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            description = "Run time limit per test. Default: ${DEFAULT-VALUE}.")
    int timeoutSeconds = 30;

    @Option(names = "--verbose-tests", description = "Print a line for passing and skipped tests too.")
    boolean verboseTests;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Pattern pattern;
        try {
            pattern = Pattern.compile(filter);
        } catch (PatternSyntaxException e) {
            throw new FscException("--filter: not a regular expression: " + e.getDescription());
        }
        List<NodeTestCase> tests = NodeTestCase.discover(dir, pattern);
        if (list != null) {
            List<String> names =
                    Files.readAllLines(list).stream().map(String::strip).toList();
            tests = tests.stream().filter(t -> names.contains(t.name())).toList();
        }
        TestIndex index = TestIndex.near(dir);
        if (tier != null) {
            if (index.rows().isEmpty()) {
                throw new FscException("--tier: no tests.tsv next to " + dir);
            }
            tests = tests.stream()
                    .filter(t -> index.rows().containsKey(t.name())
                            && index.rows().get(t.name()).tier().equals(tier))
                    .toList();
        }
        if (batch < 1 || timeoutSeconds < 1) {
            throw new FscException("--batch and --timeout must be at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        var options = new ConformanceRunner.Options(
                batch, Duration.ofSeconds(timeoutSeconds), Path.of(System.getProperty("java.io.tmpdir")));
        long t0 = System.nanoTime();
        ConformanceSummary summary = new ConformanceRunner(options, index, r -> {
                    if (verboseTests || !(r.passed() || r.outcome() instanceof fsc.cli.conformance.Outcome.Skipped)) {
                        out.println(r.line());
                        out.flush();
                    }
                })
                .run(tests);
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        if (report != null) {
            String command = "fsc conformance " + dir + (filter.isEmpty() ? "" : " --filter '" + filter + "'")
                    + (list != null ? " --list " + list : "")
                    + (tier != null ? " --tier " + tier : "") + " --report " + report;
            Path parent = report.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.writeString(report, ConformanceReport.render(summary, index, command));
            out.println("report written to " + report);
        }
        out.println(tests.size() + " tests in " + seconds + " s");
        out.println(summary.lastLine());
        out.flush();
        return summary.failed() == 0 ? 0 : 1;
    }
}
