package fsc.tests.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.conformance.ConformanceSummary;
import fsc.cli.conformance.TestResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * All 1802 ONNX node tests, compiled with the Java backend and run (about a minute on two cores:
 * sources are compiled 64 models per javac call and loaded from memory). Every test named in
 * {@code conformance/must-pass.txt} must pass, so a regression in any of them fails the build;
 * the others are printed. Move a test into {@code must-pass.txt} once it passes.
 */
class NodeSuiteConformanceTest {
    static final List<String> MILESTONES =
            List.of("milestone1_bert", "milestone2_cnn", "milestone3_decoder", "milestone4_quant");

    private static ConformanceSummary summary;
    private static Map<String, TestResult> byName;

    @BeforeAll
    static void runSuite() {
        summary = NodeTests.run(null);
        System.out.println(summary.lastLine());
        byName = new TreeMap<>();
        summary.results().forEach(r -> byName.put(r.name(), r));
    }

    @Test
    void mustPassTestsPass() throws IOException {
        Set<String> mustPass = mustPass();
        Set<String> missing = new TreeSet<>(mustPass);
        missing.removeAll(byName.keySet());
        assertEquals(Set.of(), missing, "must-pass tests not found in the node test folder");
        String regressions = mustPass.stream()
                .map(byName::get)
                .filter(r -> !r.passed())
                .map(TestResult::line)
                .collect(Collectors.joining("\n"));
        assertEquals("", regressions, "must-pass node tests that no longer pass");
    }

    /** Milestone 1 (BERT/MiniLM encoder ops) is complete: every one of its tests is must-pass. */
    @Test
    void milestoneOneIsMustPass() throws IOException {
        Set<String> mustPass = mustPass();
        List<String> m1 = NodeTests.index().milestone("milestone1_bert");
        List<String> notListed = m1.stream().filter(t -> !mustPass.contains(t)).toList();
        assertTrue(notListed.isEmpty(), "milestone 1 tests missing from must-pass.txt: " + notListed);
    }

    /** Prints where each milestone stands, for the build log. */
    @Test
    void reportMilestones() {
        for (String m : MILESTONES) {
            List<String> names = NodeTests.index().milestone(m);
            long passed = names.stream()
                    .filter(n -> byName.containsKey(n) && byName.get(n).passed())
                    .count();
            System.out.println(m + ": " + passed + " of " + names.size() + " pass");
            assertTrue(passed <= names.size());
        }
    }

    static Set<String> mustPass() throws IOException {
        try (InputStream in = NodeSuiteConformanceTest.class.getResourceAsStream("/conformance/must-pass.txt")) {
            if (in == null) {
                throw new IllegalStateException("test resource /conformance/must-pass.txt is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
