package fsc.tests.edge;

import java.io.PrintWriter;
import jdk.incubator.vector.FloatVector;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The child JVM of {@link VectorWidthMatrixTest}: checks the preferred vector species has the
 * width the parent asked for ({@code -XX:MaxVectorSize}), runs the plan's models ({@link
 * WidthModels}, outputs under OUT), then the named JUnit classes (or packages, {@code pkg.*}) and
 * exits 0 only when some tests ran and none failed.
 * Usage: {@code java -XX:MaxVectorSize=BYTES ... WidthProbe BYTES PLAN OUT CLASS...}
 */
public final class WidthProbe {
    private WidthProbe() {}

    public static void main(String[] args) throws Exception {
        int bytes = Integer.parseInt(args[0]);
        int actual = FloatVector.SPECIES_PREFERRED.vectorByteSize();
        if (actual != bytes) {
            System.out.println("preferred species is " + actual + " bytes, expected " + bytes);
            System.exit(3);
        }
        long t0 = System.nanoTime();
        WidthModels.runAll(java.nio.file.Path.of(args[1]), java.nio.file.Path.of(args[2]));
        System.out.printf("width %d bytes: models ran in %.1f s%n", bytes, (System.nanoTime() - t0) / 1e9);
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (int i = 3; i < args.length; i++) {
            request.selectors(
                    args[i].endsWith(".*")
                            ? DiscoverySelectors.selectPackage(args[i].substring(0, args[i].length() - 2))
                            : DiscoverySelectors.selectClass(args[i]));
        }
        // The bench and heavy tags stay out, as in the default build.
        request.filters(org.junit.platform.launcher.TagFilter.excludeTags("bench", "heavy", "gpu"));
        LauncherDiscoveryRequest r = request.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(r, listener);
        TestExecutionSummary s = listener.getSummary();
        s.printFailuresTo(new PrintWriter(System.out, true), 20);
        System.out.printf(
                "width %d bytes: %d tests passed, %d failed, %d skipped (assumptions: %d) in %.1f s%n",
                bytes,
                s.getTestsSucceededCount(),
                s.getTestsFailedCount(),
                s.getTestsSkippedCount(),
                s.getTestsAbortedCount(),
                (System.nanoTime() - t0) / 1e9);
        System.exit(s.getTestsFailedCount() == 0 && s.getTestsSucceededCount() > 0 ? 0 : 1);
    }
}
