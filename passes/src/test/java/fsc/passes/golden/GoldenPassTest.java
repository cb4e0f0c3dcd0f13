package fsc.passes.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every golden file {@code src/test/resources/<pass>/*.fsir} that has a {@code // RUN:} line
 * (files without one are the Java-built tests' expected outputs). With {@code
 * -Dfsc.updateGolden=true} each file's checks are rewritten from the actual output instead, to be
 * reviewed in the diff.
 */
class GoldenPassTest {

    private static Path resources() throws Exception {
        return Path.of(GoldenPassTest.class.getResource("/").toURI());
    }

    private static List<Path> goldenFiles() throws Exception {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(resources(), 2)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".fsir")).sorted().toList()) {
                if (Files.readString(p).contains("// RUN:")) {
                    files.add(p);
                }
            }
        }
        return files;
    }

    @TestFactory
    Stream<DynamicTest> goldenFilesHold() throws Exception {
        boolean update = Boolean.getBoolean("fsc.updateGolden");
        List<DynamicTest> tests = new ArrayList<>();
        for (Path p : goldenFiles()) {
            String rel = resources().relativize(p).toString();
            tests.add(DynamicTest.dynamicTest(rel, () -> {
                String text = Files.readString(p);
                GoldenFile file = GoldenFile.parse(rel, text);
                assertTrue(!file.cases().isEmpty(), rel + " has no cases");
                List<String> outputs = new ArrayList<>();
                List<String> failures = new ArrayList<>();
                for (GoldenFile.Case c : file.cases()) {
                    String out = file.run(c);
                    outputs.add(out);
                    String f = file.check(c, out);
                    if (f != null) {
                        failures.add(f);
                    }
                }
                if (update) {
                    // Surefire runs in the module folder: write back to the sources, not target/.
                    Path source = Path.of("src/test/resources").resolve(rel);
                    Files.writeString(source, file.regenerate(text, outputs));
                } else if (!failures.isEmpty()) {
                    fail(String.join("\n", failures));
                }
            }));
        }
        assertTrue(tests.size() >= 3, "expected golden files for fold, cse and dce, found " + tests.size());
        return tests.stream();
    }

    private static final String CASE =
            """
            // RUN: fold,dce
            graph @m(%x: f32[2]) -> (%y: f32[2]) {
              %c: f32[2] = const @"c" [1.0]
              %d: f32[2] = add(%c, %c)
              %y: f32[2] = mul(%x, %d)
              return %y
            }
            CHECKS
            """;

    private static String withChecks(String checks) {
        return CASE.replace("CHECKS", checks);
    }

    @Test
    void matchingChecksPass() {
        GoldenFile f = GoldenFile.parse(
                "t.fsir",
                withChecks(
                        """
                // CHECK: const
                // CHECK-NOT: add(
                // CHECK: mul(%x,
                // CHECK-NEXT: return %y"""));
        GoldenFile.Case c = f.cases().getFirst();
        assertNull(f.check(c, f.run(c)));
    }

    @Test
    void aBrokenCheckFailsAndSaysWhere() {
        GoldenFile f = GoldenFile.parse("t.fsir", withChecks("// CHECK: add(%c, %c)"));
        GoldenFile.Case c = f.cases().getFirst();
        String failure = f.check(c, f.run(c));
        assertNotNull(failure, "fold removed the add, so the check must fail");
        assertTrue(failure.startsWith("t.fsir:line 8: CHECK: 'add(%c, %c)' not found"), failure);
        GoldenFile wrongNext = GoldenFile.parse("t.fsir", withChecks("// CHECK: mul(\n// CHECK-NEXT: const"));
        assertNotNull(wrongNext.check(
                wrongNext.cases().getFirst(), wrongNext.run(wrongNext.cases().getFirst())));
        GoldenFile forbidden = GoldenFile.parse("t.fsir", withChecks("// CHECK-NOT: mul("));
        assertNotNull(forbidden.check(
                forbidden.cases().getFirst(), forbidden.run(forbidden.cases().getFirst())));
    }

    @Test
    void casesSplitAndKeepTheirLineNumbers() {
        String text = withChecks("// CHECK: mul\n// -----\ngraph @n(%x: f32[2]) -> (%y: f32[2]) {\n"
                + "  %y: f32[2] = neg(%q)\n  return %y\n}\n// CHECK: neg");
        GoldenFile f = GoldenFile.parse("t.fsir", text);
        assertEquals(2, f.cases().size());
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(
                fsc.ir.FscException.class, () -> f.run(f.cases().get(1)));
        assertEquals("t.fsir:11:20: undefined value %q", e.getMessage());
    }

    @Test
    void updateRewritesChecksFromTheOutput() {
        GoldenFile f = GoldenFile.parse("t.fsir", withChecks("// CHECK: stale"));
        String regenerated = f.regenerate(
                withChecks("// CHECK: stale"), List.of(f.run(f.cases().getFirst())));
        assertTrue(!regenerated.contains("stale"), regenerated);
        GoldenFile again = GoldenFile.parse("t.fsir", regenerated);
        assertNull(again.check(again.cases().getFirst(), again.run(again.cases().getFirst())), regenerated);
    }
}
