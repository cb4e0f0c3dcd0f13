package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No runtime source calls a Vector API operation whose bits depend on the JIT tier: float
 * {@code reduceLanes(ADD/MUL)} (use {@link Lanes}) or a lanewise transcendental (use
 * {@link VectorExp}, or scalar {@code Math}). A kernel merged from elsewhere with such a call fails
 * here by name, before JitTierDeterminismTest has to catch it by its bits. perf/ measures hardware
 * and keeps reduceLanes; Int8GemmTask's, Int8GemmVnni's, Q8KDot's, Q8KUnpackedRow's and
 * Q8KGemmActivations' lane sums are over ints (exact in any order).
 */
class TierDependentOpsTest {
    static final Pattern TIER_DEPENDENT = Pattern.compile("reduceLanes\\(VectorOperators\\.(ADD|MUL)\\)"
            + "|lanewise\\(VectorOperators\\.(EXP|EXPM1|LOG|LOG1P|LOG10|TANH|SIN|COS|TAN|ASIN|ACOS|ATAN|ATAN2"
            + "|SINH|COSH|POW|HYPOT|CBRT)\\b");

    static List<String> offenders(Path root, List<String> allowed) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f :
                    files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String rel = root.relativize(f).toString().replace('\\', '/');
                if (allowed.stream().anyMatch(rel::startsWith)) {
                    continue;
                }
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    if (!line.startsWith("*")
                            && !line.startsWith("//")
                            && TIER_DEPENDENT.matcher(line).find()) {
                        found.add(rel + ":" + (i + 1) + ": " + line);
                    }
                }
            }
        }
        return found;
    }

    @Test
    void runtimeSourcesUseTheFixedOrderHelpers() throws IOException {
        Path root = Path.of("src/main/java");
        assertTrue(Files.isDirectory(root.resolve("fsc/runtime/kernels")), "run from the runtime-min module");
        List<String> found = offenders(
                root,
                List.of(
                        "fsc/runtime/perf/",
                        "fsc/runtime/kernels/Int8GemmTask.java",
                        "fsc/runtime/kernels/Int8GemmVnni.java",
                        "fsc/runtime/quant/Q8KDot.java",
                        "fsc/runtime/quant/Q8KGemmActivations.java",
                        "fsc/runtime/quant/Q8KUnpackedRow.java"));
        assertEquals(List.of(), found, "tier-dependent Vector API ops (see Lanes, VectorExp)");
    }

    @Test
    void thePatternSeesTheCallsItForbids() {
        assertTrue(TIER_DEPENDENT
                .matcher("float s = acc.reduceLanes(VectorOperators.ADD);")
                .find());
        assertTrue(TIER_DEPENDENT.matcher("v.lanewise(VectorOperators.EXP)").find());
        assertTrue(TIER_DEPENDENT.matcher("x.lanewise(VectorOperators.POW, y)").find());
        assertTrue(
                !TIER_DEPENDENT.matcher("vmax.reduceLanes(VectorOperators.MAX)").find());
        assertTrue(
                !TIER_DEPENDENT.matcher("q.lanewise(VectorOperators.LSHR, 4)").find());
    }
}
