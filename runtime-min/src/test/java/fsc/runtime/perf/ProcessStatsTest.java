package fsc.runtime.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessStatsTest {
    @TempDir
    Path dir;

    @Test
    void vmHwmIsReadInBytes() {
        assertEquals(
                310_123L * 1024,
                ProcessStats.vmHwmBytes(
                        List.of("Name:\tjava", "VmPeak:\t 9999 kB", "VmHWM:\t  310123 kB", "VmRSS: 1 kB")));
        assertEquals(-1, ProcessStats.vmHwmBytes(List.of("Name:\tjava")));
    }

    @Test
    void thisProcessHasAPeakOnLinux() {
        if (Files.isRegularFile(Path.of("/proc/self/status"))) {
            // A JVM that ran JUnit has touched more than 16 MB.
            assertTrue(ProcessStats.peakRssBytes() > 16L << 20, "VmHWM " + ProcessStats.peakRssBytes());
        } else {
            assertEquals(-1, ProcessStats.peakRssBytes());
        }
    }

    @Test
    void raplPackagesAreSummedAndSubDomainsLeftOut() throws Exception {
        write(dir.resolve("intel-rapl:0/energy_uj"), "1000\n");
        write(dir.resolve("intel-rapl:0:0/energy_uj"), "700\n"); // core, inside package 0
        write(dir.resolve("intel-rapl:1/energy_uj"), "250\n");
        assertEquals(OptionalLong.of(1250), ProcessStats.energyMicrojoules(dir));
    }

    @Test
    void noPowercapMeansNoEnergy() throws Exception {
        assertEquals(OptionalLong.empty(), ProcessStats.energyMicrojoules(dir.resolve("absent")));
        assertEquals(OptionalLong.empty(), ProcessStats.energyMicrojoules(dir)); // present but empty
        write(dir.resolve("intel-rapl:0/energy_uj"), "not a number");
        assertEquals(OptionalLong.empty(), ProcessStats.energyMicrojoules(dir));
        String report = ProcessStats.report(OptionalLong.empty());
        assertTrue(report.contains("energy not measurable here"), report);
    }

    private static void write(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
