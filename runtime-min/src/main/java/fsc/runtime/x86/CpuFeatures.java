package fsc.runtime.x86;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * What this process may run of fsc's native x86-64 kernels: Linux on x86-64 whose
 * {@code /proc/cpuinfo} lists the instruction sets a kernel needs (the kernel lists AVX-512 only
 * when it saves the registers on a context switch), unless the property {@code fsc.kernels.native}
 * is {@code false}, which keeps every kernel on its Vector API form (for comparisons, and as the way
 * out should a native kernel misbehave on some CPU).
 */
public final class CpuFeatures {
    /** The property that turns the native kernels off ({@code -Dfsc.kernels.native=false}). */
    public static final String PROPERTY = "fsc.kernels.native";

    private static final Set<String> FLAGS = read();

    private CpuFeatures() {}

    /** AVX-512 F: 512-bit float FMA. */
    public static boolean avx512() {
        return enabled() && FLAGS.contains("avx512f");
    }

    /** AVX-512 F and BW with VNNI: {@code vpdpbusd} on 512-bit registers. */
    public static boolean avx512Vnni() {
        return enabled() && FLAGS.contains("avx512f") && FLAGS.contains("avx512bw") && FLAGS.contains("avx512_vnni");
    }

    /**
     * Makes a family of native kernels, or returns {@code null} with a one-line note on stderr when
     * the process may not map executable memory or call native code (SELinux {@code execmem}, {@code
     * --illegal-native-access=deny}): the Vector API forms then run, slower but correct.
     */
    static <T> T loadOrNull(String family, java.util.function.Supplier<T> load) {
        try {
            return load.get();
        } catch (RuntimeException | LinkageError e) {
            System.err.println("fsc: " + family + " native kernels unavailable (" + e.getMessage()
                    + "); the Vector API kernels run instead");
            return null;
        }
    }

    private static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"));
    }

    private static Set<String> read() {
        String arch = System.getProperty("os.arch", "");
        if (!(arch.equals("amd64") || arch.equals("x86_64"))
                || !System.getProperty("os.name", "").startsWith("Linux")) {
            return Set.of();
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    int colon = line.indexOf(':');
                    return new TreeSet<>(Set.of(line.substring(colon + 1).trim().split("\\s+")));
                }
            }
        } catch (IOException | SecurityException e) {
            // No cpuinfo (a sandbox): no native kernels, the Vector API forms run.
        }
        return Set.of();
    }
}
