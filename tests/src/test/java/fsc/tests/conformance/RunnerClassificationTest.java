package fsc.tests.conformance;

import static fsc.tests.conformance.NodeTestWriter.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.Main;
import fsc.cli.conformance.ConformanceReport;
import fsc.cli.conformance.ConformanceRunner;
import fsc.cli.conformance.ConformanceSummary;
import fsc.cli.conformance.NodeTestCase;
import fsc.cli.conformance.Outcome;
import fsc.cli.conformance.TestIndex;
import fsc.cli.conformance.TestResult;
import fsc.frontend.onnx.OnnxTensors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each outcome the runner reports, produced on purpose by small tests written in the node-test layout. */
class RunnerClassificationTest {
    @TempDir
    static Path root;

    private static final long[] TWO = {2};
    private static Map<String, TestResult> results;
    private static ConformanceSummary summary;

    @BeforeAll
    static void runAll() {
        // 1 + 2 = 3, 2 + 3 = 5
        new NodeTestWriter("Add", 14)
                .input("a", floats(TWO, 1, 2))
                .input("b", floats(TWO, 2, 3))
                .output("c", floats(TWO, 3, 5))
                .write(root, "test_add_right");
        new NodeTestWriter("Add", 14)
                .input("a", floats(TWO, 1, 2))
                .input("b", floats(TWO, 2, 3))
                .output("c", floats(TWO, 3, 5.5f))
                .write(root, "test_add_wrong_value");
        // The model declares f32[2]; only the expected data says [1,2].
        Path wrongShape = new NodeTestWriter("Add", 14)
                .input("a", floats(TWO, 1, 2))
                .input("b", floats(TWO, 2, 3))
                .output("c", floats(TWO, 3, 5))
                .write(root, "test_add_wrong_shape");
        OnnxTensors.write(wrongShape.resolve("test_data_set_0/output_0.pb"), "c", floats(new long[] {1, 2}, 3, 5));
        // Within 1e-7 + 1e-3 * 1000 = 1.0000001 of 1000.
        new NodeTestWriter("Add", 14)
                .input("a", floats(TWO, 999, 0))
                .input("b", floats(TWO, 1.9f, 0))
                .output("c", floats(TWO, 1000, 0))
                .write(root, "test_add_within_tolerance");
        new NodeTestWriter("Frobnicate", "com.example", 14)
                .input("a", floats(TWO, 1, 2))
                .output("c", floats(TWO, 1, 2))
                .write(root, "test_frobnicate");
        new NodeTestWriter("Add", 14)
                .input("a", floats(TWO, 1, 2))
                .output("c", floats(TWO, 1, 2))
                .write(root, "test_add_missing_operand");
        new NodeTestWriter("Identity", 14)
                .input("a", floats(TWO, 1, 2))
                .output("c", floats(TWO, 1, 2))
                .write(root, "test_bernoulli_like");
        var tests = NodeTestCase.discover(root, Pattern.compile(""));
        summary = new ConformanceRunner(ConformanceRunner.Options.defaults(), TestIndex.empty(), r -> {}).run(tests);
        results = new TreeMap<>();
        summary.results().forEach(r -> results.put(r.name(), r));
    }

    @Test
    void aCorrectModelPasses() {
        assertInstanceOf(Outcome.Pass.class, results.get("test_add_right").outcome());
        assertInstanceOf(
                Outcome.Pass.class, results.get("test_add_within_tolerance").outcome());
    }

    @Test
    void aWrongValueFailsWithItsMaxError() {
        Outcome.Fail f = assertInstanceOf(
                Outcome.Fail.class, results.get("test_add_wrong_value").outcome());
        assertEquals(0.5, f.maxError(), 1e-6);
        assertTrue(f.reason().contains("element 1"), f.reason());
    }

    @Test
    void aWrongShapeFailsStructurally() {
        Outcome.Fail f = assertInstanceOf(
                Outcome.Fail.class, results.get("test_add_wrong_shape").outcome());
        assertTrue(f.reason().contains("expected f32[1,2], got f32[2]"), f.reason());
    }

    @Test
    void anUnknownOpIsUnsupportedNamingOpDomainOpsetAndNode() {
        Outcome.Unsupported u = assertInstanceOf(
                Outcome.Unsupported.class, results.get("test_frobnicate").outcome());
        assertEquals("com.example:Frobnicate", u.op());
        assertTrue(u.reason().contains("Frobnicate (com.example opset 1"), u.reason());
        assertTrue(u.reason().contains("'node'"), u.reason());
    }

    @Test
    void aModelThatDoesNotImportIsACompileError() {
        assertInstanceOf(
                Outcome.CompileError.class,
                results.get("test_add_missing_operand").outcome());
    }

    @Test
    void randomTestsAreSkipped() {
        assertInstanceOf(
                Outcome.Skipped.class, results.get("test_bernoulli_like").outcome());
    }

    @Test
    void lastLineCountsUnsupportedAndCompileErrorsAsFailed() {
        assertEquals("conformance: 2 passed, 4 failed, 1 skipped", summary.lastLine());
    }

    @Test
    void reportListsTheUnsupportedOp() {
        String md = ConformanceReport.render(summary, TestIndex.empty(), "test");
        assertTrue(md.contains("| `com.example:Frobnicate` | 1 | test_frobnicate |"), md);
        assertTrue(md.contains("| test_add_wrong_value | fail |"), md);
    }

    @Test
    void cliPrintsTheLastLineAndFailsWhenATestFails() {
        StringWriter out = new StringWriter();
        int code = Main.execute(
                new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true),
                "conformance",
                root.toString(),
                "--filter",
                "^test_add_(right|within)");
        String[] lines = out.toString().strip().split("\n");
        assertEquals("conformance: 2 passed, 0 failed, 0 skipped", lines[lines.length - 1]);
        assertEquals(0, code);
        int failing = Main.execute(
                new PrintWriter(new StringWriter(), true),
                new PrintWriter(new StringWriter(), true),
                "conformance",
                root.toString(),
                "--filter",
                "wrong");
        assertEquals(1, failing);
    }
}
