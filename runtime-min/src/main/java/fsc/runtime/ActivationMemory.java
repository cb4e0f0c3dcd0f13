package fsc.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The memory a model's activations live in: reserved at the memory plan's size (the symbols'
 * bounds) but not touched, so the resident set follows the pages the calls really use.
 *
 * <p>Why: {@code plan-memory} sizes one arena at the symbols' upper bounds, so a detector compiled
 * for any image up to 512×512 with a batch bound needs gigabytes of arena, while a 320×320 image
 * uses a prefix of each slot. {@link Arena#allocate} zero-fills its memory and so touches (commits)
 * every page at construction: PP-OCRv4's detector under the default bounds peaked at 9.4 GB RSS for
 * one small image. An anonymous private {@code mmap} (with {@code MAP_NORESERVE} on Linux, so the
 * reservation is not charged against the commit limit) gives the same zeroed bytes, but the kernel
 * backs a page only when it is first touched. Each slot is used from its start, so a smaller call
 * touches a prefix of each slot and the arena's resident bytes scale with the run-time sizes; a
 * larger call (within the bounds) touches more pages, never moving anything. Pages once touched
 * stay resident until {@code close()}, as ONNX Runtime's arena keeps what it grew to. The offsets
 * stay the static plan's, so a fixed-shape model does no extra work per call.
 *
 * <p>Where {@code mmap} cannot be called (not Linux or macOS, or native access denied) the arena is
 * an ordinary zero-filled {@link Arena#allocate}: correct, with every page touched.
 */
public final class ActivationMemory {
    private ActivationMemory() {}

    /** Bytes of the arena and how many of them are backed by RAM now. */
    public record Usage(long reservedBytes, long residentBytes) {
        /** A model with no arena of its own (or one on a device). */
        public static final Usage NONE = new Usage(0, 0);
    }

    /**
     * A segment of {@code bytes} zero bytes, page-aligned, owned by {@code owner} (unmapped when it
     * closes). Its pages are backed by RAM when first touched, where the platform allows.
     *
     * @throws RuntimeFailure when the address space cannot be reserved (bounds far too large)
     */
    public static MemorySegment reserve(Arena owner, long bytes) {
        long size = Math.max(bytes, 1);
        Native n = Native.INSTANCE;
        if (n == null) {
            return owner.allocate(size, 64);
        }
        MemorySegment at;
        try {
            at = (MemorySegment) n.mmap.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE, n.flags, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap of the activation arena failed", t);
        }
        if (at.address() == -1L || at.address() == 0L) {
            throw new RuntimeFailure(String.format(
                    java.util.Locale.ROOT,
                    "cannot reserve %.1f MB of address space for the activations (the memory plan at the"
                            + " symbols' bounds); compile with smaller --bound values",
                    size / 1e6));
        }
        MethodHandle munmap = n.munmap;
        return at.reinterpret(size, owner, seg -> {
            try {
                int rc = (int) munmap.invokeExact(MemorySegment.ofAddress(seg.address()), size);
                if (rc != 0) {
                    throw new IllegalStateException("munmap of the activation arena failed: " + rc);
                }
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("munmap of the activation arena failed", t);
            }
        });
    }

    /** Whether {@link #reserve} leaves pages untouched here (false: a zero-filled allocation). */
    public static boolean lazy() {
        return Native.INSTANCE != null;
    }

    /** The arena's size and its resident bytes now. */
    public static Usage usage(MemorySegment arena) {
        if (!arena.scope().isAlive()) {
            return Usage.NONE; // closed: unmapped
        }
        return new Usage(arena.byteSize(), residentBytes(arena));
    }

    /**
     * Bytes of the pages under {@code s} that are resident in RAM now ({@code mincore}), counted in
     * whole pages; where that cannot be asked, all of {@code s} (the zero-filled fallback touched it).
     */
    public static long residentBytes(MemorySegment s) {
        Native n = Native.INSTANCE;
        if (n == null || !s.isNative() || s.byteSize() == 0) {
            return s.byteSize();
        }
        long page = n.page;
        long start = s.address() & -page;
        long end = s.address() + s.byteSize();
        long pages = (end - start + page - 1) / page;
        // In chunks, so a multi-gigabyte arena needs a small vector; a diagnostic, not a per-call path.
        long chunkPages = 1 << 16;
        long resident = 0;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment vec = scratch.allocate(Math.min(pages, chunkPages));
            for (long p = 0; p < pages; p += chunkPages) {
                long count = Math.min(chunkPages, pages - p);
                int rc = (int) n.mincore.invokeExact(MemorySegment.ofAddress(start + p * page), count * page, vec);
                if (rc != 0) {
                    throw new IllegalStateException("mincore over the activation arena failed: " + rc);
                }
                for (long i = 0; i < count; i++) {
                    resident += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mincore over the activation arena failed", t);
        }
        return resident * page;
    }

    private static final int PROT_READ = 1, PROT_WRITE = 2;

    /** libc's mmap, munmap, mincore and page size, or null where they are not reachable. */
    private record Native(MethodHandle mmap, MethodHandle munmap, MethodHandle mincore, long page, int flags) {
        static final Native INSTANCE = load();

        private static Native load() {
            // MAP_PRIVATE | MAP_ANONYMOUS (| MAP_NORESERVE on Linux: no commit charge for the bound).
            String os = System.getProperty("os.name", "");
            int flags;
            if (os.startsWith("Linux")) {
                flags = 0x02 | 0x20 | 0x4000;
            } else if (os.startsWith("Mac")) {
                flags = 0x02 | 0x1000;
            } else {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                MethodHandle mmap = libc(
                        linker,
                        "mmap",
                        FunctionDescriptor.of(
                                ValueLayout.ADDRESS,
                                ValueLayout.ADDRESS,
                                ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG));
                MethodHandle munmap = libc(
                        linker,
                        "munmap",
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                MethodHandle mincore = libc(
                        linker,
                        "mincore",
                        FunctionDescriptor.of(
                                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
                MethodHandle pageSize = libc(linker, "getpagesize", FunctionDescriptor.of(ValueLayout.JAVA_INT));
                long page = (int) pageSize.invokeExact();
                if (page <= 0 || Long.bitCount(page) != 1) {
                    return null;
                }
                return new Native(mmap, munmap, mincore, page, flags);
            } catch (Throwable t) {
                // Native access denied (--illegal-native-access=deny) or no such symbol: allocate instead.
                return null;
            }
        }

        private static MethodHandle libc(Linker linker, String name, FunctionDescriptor fd) {
            MemorySegment symbol = linker.defaultLookup()
                    .find(name)
                    .orElseThrow(() -> new IllegalStateException("libc has no " + name));
            return linker.downcallHandle(symbol, fd);
        }
    }
}
