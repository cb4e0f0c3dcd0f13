package fsc.tests.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.cli.conformance.ConformanceSummary;
import fsc.cli.conformance.TestResult;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every ONNX node test (1802; several minutes on two cores), behind the {@code heavy} tag:
 * {@code ./mvnw -B -pl tests -am test -Dsurefire.excludedGroups=gpu,bench -Dsurefire.groups=heavy
 * -Dtest=FullNodeSuiteTest}. It holds the must-pass list like the default milestone test and prints
 * the summary line for the record.
 */
@Tag("heavy")
class FullNodeSuiteTest {
    @Test
    void wholeSuiteKeepsTheMustPassList() throws IOException {
        ConformanceSummary s = NodeTests.run(null);
        System.out.println(s.lastLine());
        Set<String> mustPass = MilestoneConformanceTest.mustPass();
        Map<String, TestResult> byName = new TreeMap<>();
        s.results().forEach(r -> byName.put(r.name(), r));
        String regressions = mustPass.stream()
                .filter(n -> byName.get(n) == null || !byName.get(n).passed())
                .collect(Collectors.joining(", "));
        assertEquals("", regressions, "must-pass node tests that no longer pass");
    }
}
