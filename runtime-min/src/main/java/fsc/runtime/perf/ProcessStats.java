package fsc.runtime.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * What an edge deployment asks of a run besides its latency: the process's peak resident memory
 * (Linux {@code VmHWM} in {@code /proc/self/status}: the high-water mark of the resident set, which
 * counts the mapped weights pages that were touched as well as the heap and the arena) and the
 * package energy from RAPL ({@code /sys/class/powercap/intel-rapl:N/energy_uj}) where the kernel
 * exposes it. Virtual machines usually do not (the build VM has no {@code /sys/class/powercap}): the
 * report then says so instead of printing a number.
 */
public final class ProcessStats {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path POWERCAP = Path.of("/sys/class/powercap");

    private ProcessStats() {}

    /** Peak resident set of this process in bytes, or -1 where {@code /proc/self/status} has no VmHWM. */
    public static long peakRssBytes() {
        try {
            return vmHwmBytes(Files.readAllLines(STATUS));
        } catch (IOException e) {
            return -1;
        }
    }

    /** The {@code VmHWM:   1234 kB} line of a {@code /proc/PID/status} text, in bytes; -1 if absent. */
    static long vmHwmBytes(List<String> status) {
        for (String line : status) {
            if (line.startsWith("VmHWM:")) {
                String[] f = line.substring(6).trim().split("\\s+");
                long v = Long.parseLong(f[0]);
                return f.length > 1 && f[1].equalsIgnoreCase("kB") ? v * 1024 : v;
            }
        }
        return -1;
    }

    /**
     * The sum of the top-level RAPL domains' energy counters in microjoules (one per CPU package),
     * or empty where the machine exposes none (or they are not readable: root-only since Linux 5.10).
     */
    public static OptionalLong energyMicrojoules() {
        return energyMicrojoules(POWERCAP);
    }

    static OptionalLong energyMicrojoules(Path powercap) {
        if (!Files.isDirectory(powercap)) {
            return OptionalLong.empty();
        }
        List<Path> counters = new ArrayList<>();
        try (Stream<Path> s = Files.list(powercap)) {
            // intel-rapl:0, intel-rapl:1: the packages; intel-rapl:0:0 (a sub-domain) is inside them.
            s.filter(p -> p.getFileName().toString().matches("intel-rapl:[0-9]+"))
                    .sorted()
                    .forEach(p -> counters.add(p.resolve("energy_uj")));
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        long sum = 0;
        for (Path c : counters) {
            try {
                sum += Long.parseLong(Files.readString(c).trim());
            } catch (IOException | NumberFormatException e) {
                return OptionalLong.empty();
            }
        }
        return counters.isEmpty() ? OptionalLong.empty() : OptionalLong.of(sum);
    }

    /**
     * {@code peak RSS 310.2 MB, energy 12.3 J} for a run that started with the energy counter
     * {@code energyBefore} (from {@link #energyMicrojoules}), or with the reason energy is missing.
     */
    public static String report(OptionalLong energyBefore) {
        long rss = peakRssBytes();
        String memory = rss < 0 ? "peak RSS unknown (no VmHWM in /proc/self/status)" : "peak RSS " + mb(rss) + " MB";
        OptionalLong after = energyMicrojoules();
        String energy;
        if (energyBefore.isPresent() && after.isPresent()) {
            // A counter wraps at max_energy_range_uj; a negative difference means it wrapped once.
            long uj = after.getAsLong() - energyBefore.getAsLong();
            energy = uj < 0
                    ? "energy unknown (RAPL counter wrapped)"
                    : String.format(Locale.ROOT, "energy %.2f J", uj / 1e6);
        } else {
            energy = "energy not measurable here (no readable RAPL counters under " + POWERCAP + ")";
        }
        return memory + ", " + energy;
    }

    public static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1e6);
    }
}
