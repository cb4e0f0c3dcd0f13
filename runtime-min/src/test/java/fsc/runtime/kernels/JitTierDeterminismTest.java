package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The runtime's float kernels give the same bits in every JIT tier: {@link KernelDigest} run by
 * the interpreter alone ({@code -Xint}: the Vector API's Java fallback throughout), by C1 alone
 * ({@code TieredStopAtLevel=1}: compiled, but no vector intrinsics), and here after enough calls for
 * C2 to compile the kernels with their intrinsics. With {@code reduceLanes(ADD)} or
 * {@code lanewise(EXP)} in a kernel the digests differ (sequential vs tree lane sums; Math.exp per
 * lane vs the vendor stub). A fourth run turns fsc's machine-code kernels off ({@code
 * -Dfsc.kernels.native=false}): the Vector API forms must give their bits too.
 */
class JitTierDeterminismTest {
    /** Enough calls for C2 (tier 4) to compile every kernel (checked with -XX:+PrintCompilation). */
    private static final int WARM_CALLS = 2500;

    @Test
    void interpreterC1AndC2GiveTheSameBits() throws Exception {
        String interpreted = child("-Xint");
        String c1 = child("-XX:TieredStopAtLevel=1");
        String c2 = KernelDigest.digest(WARM_CALLS);
        String vectorApiOnly = child("-Dfsc.kernels.native=false");
        assertEquals(interpreted, c1, "interpreter vs C1");
        assertEquals(interpreted, c2, "interpreter vs C2 after warm-up");
        assertEquals(interpreted, vectorApiOnly, "machine-code kernels vs the Vector API forms");
    }

    private static String child(String tierFlag) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                tierFlag,
                "-Xmx256m",
                // The children's vector width is this JVM's (the width matrix runs it at 16 and 32 bytes).
                "-XX:MaxVectorSize=" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorByteSize(),
                "-cp",
                location(KernelDigest.class) + File.pathSeparator + location(FloatMath.class),
                KernelDigest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child " + tierFlag + " did not finish");
        assertEquals(0, p.exitValue(), out);
        // The incubator module's warning comes first; the digest is the last line.
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static String location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
    }
}
