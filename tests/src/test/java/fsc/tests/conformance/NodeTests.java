package fsc.tests.conformance;

import fsc.cli.conformance.ConformanceRunner;
import fsc.cli.conformance.ConformanceSummary;
import fsc.cli.conformance.NodeTestCase;
import fsc.cli.conformance.TestIndex;
import fsc.cli.conformance.TestResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Where the ONNX node tests are, and a one-call run of some of them. */
final class NodeTests {
    private NodeTests() {}

    /** {@code ../shared/data/onnx}: fails (never skips) when the data is missing. */
    static Path onnxData() {
        Path dir = Path.of(System.getProperty("fsc.shared.data", "../../shared/data"))
                .toAbsolutePath()
                .normalize()
                .resolve("onnx");
        if (!Files.isDirectory(dir.resolve("node"))) {
            throw new IllegalStateException("ONNX node tests not found under " + dir + " (expected ../shared/data)");
        }
        return dir;
    }

    static Path nodeDir() {
        return onnxData().resolve("node");
    }

    static TestIndex index() {
        return TestIndex.read(onnxData());
    }

    /** Runs the node tests named in {@code names} (all of them when null). */
    static ConformanceSummary run(Set<String> names) {
        List<NodeTestCase> tests = NodeTestCase.discover(nodeDir(), Pattern.compile(""));
        if (names != null) {
            tests = tests.stream().filter(t -> names.contains(t.name())).toList();
        }
        return runner().run(tests);
    }

    static ConformanceRunner runner() {
        return new ConformanceRunner(ConformanceRunner.Options.defaults(), index(), NodeTests::print);
    }

    private static void print(TestResult r) {
        if (!r.passed()) {
            System.out.println(r.line());
        }
    }

    /** The union of the given milestone lists. */
    static Set<String> milestones(String... lists) {
        TestIndex index = index();
        Set<String> names = new TreeSet<>();
        for (String l : lists) {
            names.addAll(index.milestone(l));
        }
        return names;
    }
}
