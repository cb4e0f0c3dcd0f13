package fsc.runtime.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds a shared library by soname probing, never a hard-coded path: first the plain sonames
 * through the dynamic loader (LD_LIBRARY_PATH, ld.so.cache), then the usual CUDA toolkit folders.
 * {@code libcuda.so.1} comes with the driver; {@code libnvrtc.so.13} (or 12) with the toolkit.
 */
public final class NativeLibraries {
    private NativeLibraries() {}

    /** Toolkit folders tried after the loader's own search, in order. */
    static final List<String> TOOLKIT_DIRS = List.of(
            "/usr/local/cuda/lib64",
            "/usr/local/cuda/targets/x86_64-linux/lib",
            "/usr/local/cuda-13/lib64",
            "/usr/local/cuda-12/lib64",
            "/usr/lib/x86_64-linux-gnu");

    /** The candidates for {@code sonames}: each bare name, then each under every toolkit folder. */
    static List<String> candidates(List<String> sonames, List<String> dirs) {
        List<String> out = new ArrayList<>(sonames);
        for (String dir : dirs) {
            for (String s : sonames) {
                out.add(dir + "/" + s);
            }
        }
        return out;
    }

    /** The first of {@code sonames} that loads, in the global arena (a driver stays loaded for good). */
    public static Optional<SymbolLookup> load(List<String> sonames) {
        for (String c : candidates(sonames, TOOLKIT_DIRS)) {
            if (c.contains("/") && !Files.exists(Path.of(c))) {
                continue;
            }
            try {
                return Optional.of(SymbolLookup.libraryLookup(c, Arena.global()));
            } catch (IllegalArgumentException notThere) {
                // Not found under this name: try the next one.
            }
        }
        return Optional.empty();
    }
}
