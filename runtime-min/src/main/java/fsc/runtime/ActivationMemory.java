package fsc.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
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
 * <p>Small arenas are mapped too: {@link Arena#allocate} zero-fills with a Java loop, which a fresh
 * JVM runs in the interpreter (5 ms for MiniLM's 1.2 MB, 11-19 ms for 16 MB), while fresh pages
 * are zero for nothing. The {@code mmap} downcall this needs is linked anyway by every model with
 * packed weights ({@link PackedMemory}), and off the main thread in a jar's own process ({@link
 * ForeignWarmup}). Where {@code mmap} cannot be called (not Linux or macOS, or native access
 * denied) the arena is an ordinary zero-filled {@link Arena#allocate}: correct, with every page
 * touched. Fixed-shape models do not call this at all (the generated constructor allocates).
 */
public final class ActivationMemory {
    private ActivationMemory() {}

    /** Bytes of the arena and how many of them are backed by RAM now. */
    public record Usage(long reservedBytes, long residentBytes) {
        /** A model with no arena of its own (or one on a device). */
        public static final Usage NONE = new Usage(0, 0);
    }

    /**
     * A segment of {@code bytes} zero bytes, aligned to 64 bytes (to a page when reserved), owned by
     * {@code owner} (unmapped when it closes). Its pages are backed by RAM when first touched, where
     * the platform allows.
     *
     * @throws RuntimeFailure when the address space cannot be reserved (bounds far too large)
     */
    public static MemorySegment reserve(Arena owner, long bytes) {
        long size = Math.max(bytes, 1);
        if (Mapping.MMAP == null) {
            return owner.allocate(size, 64);
        }
        MemorySegment at;
        try {
            at = (MemorySegment) Mapping.MMAP.invokeExact(
                    MemorySegment.NULL, size, Libc.PROT_READ | Libc.PROT_WRITE, Mapping.FLAGS, -1, 0L);
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
        return at.reinterpret(size, owner, seg -> unmap(seg.address(), size));
    }

    private static void unmap(long address, long size) {
        MethodHandle munmap = Unmap.MUNMAP;
        if (munmap == null) {
            throw new IllegalStateException("libc has mmap but no munmap for the activation arena");
        }
        try {
            int rc = (int) munmap.invokeExact(MemorySegment.ofAddress(address), size);
            if (rc != 0) {
                throw new IllegalStateException("munmap of the activation arena failed: " + rc);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("munmap of the activation arena failed", t);
        }
    }

    /** Whether {@link #reserve} leaves the pages of a large arena untouched here. */
    public static boolean lazy() {
        return Mapping.MMAP != null;
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
     * whole pages; where that cannot be asked, all of {@code s}.
     */
    public static long residentBytes(MemorySegment s) {
        MethodHandle mincore = Residency.MINCORE;
        if (mincore == null || !s.isNative() || s.byteSize() == 0) {
            return s.byteSize();
        }
        long page = Residency.PAGE;
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
                int rc = (int) mincore.invokeExact(MemorySegment.ofAddress(start + p * page), count * page, vec);
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

    /**
     * libc's mmap and the platform's flags, or null where they are not reachable. Each handle has
     * its own holder class so a model links only what it uses: mmap when it opens, munmap when it
     * closes, mincore when asked for its usage.
     */
    private static final class Mapping {
        static final int FLAGS = Libc.ANONYMOUS_MAP_FLAGS;

        static final MethodHandle MMAP = FLAGS == 0 ? null : Libc.handle("mmap", Libc.MMAP);
    }

    private static final class Unmap {
        static final MethodHandle MUNMAP = Libc.handle("munmap", Libc.MUNMAP);
    }

    private static final class Residency {
        static final MethodHandle MINCORE = Mapping.FLAGS == 0
                ? null
                : Libc.handle(
                        "mincore",
                        FunctionDescriptor.of(
                                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        static final long PAGE = pageSize();

        private static long pageSize() {
            MethodHandle h = Libc.handle("getpagesize", FunctionDescriptor.of(ValueLayout.JAVA_INT));
            try {
                return h == null ? 4096 : (int) h.invokeExact();
            } catch (Throwable t) {
                return 4096;
            }
        }
    }
}
