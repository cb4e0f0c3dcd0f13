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
 * The child JVM of {@link NarrowVectorWidthsTest}: checks the preferred vector species has the
 * width the parent asked for ({@code -XX:MaxVectorSize}), then runs the named JUnit classes and
 * exits 0 only when some tests ran and none failed.
 * Usage: {@code java -XX:MaxVectorSize=BYTES ... WidthProbe BYTES CLASS...}
 */
public final class WidthProbe {
    private WidthProbe() {}

    public static void main(String[] args) {
        int bytes = Integer.parseInt(args[0]);
        int actual = FloatVector.SPECIES_PREFERRED.vectorByteSize();
        if (actual != bytes) {
            System.out.println("preferred species is " + actual + " bytes, expected " + bytes);
            System.exit(3);
        }
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (int i = 1; i < args.length; i++) {
            request.selectors(DiscoverySelectors.selectClass(args[i]));
        }
        // The bench and heavy tags stay out, as in the default build.
        request.filters(org.junit.platform.launcher.TagFilter.excludeTags("bench", "heavy", "gpu"));
        LauncherDiscoveryRequest r = request.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(r, listener);
        TestExecutionSummary s = listener.getSummary();
        s.printFailuresTo(new PrintWriter(System.out, true), 20);
        System.out.println("width " + bytes + " bytes: " + s.getTestsSucceededCount() + " passed, "
                + s.getTestsFailedCount() + " failed, " + s.getTestsSkippedCount() + " skipped");
        System.exit(s.getTestsFailedCount() == 0 && s.getTestsSucceededCount() > 0 ? 0 : 1);
    }
}
