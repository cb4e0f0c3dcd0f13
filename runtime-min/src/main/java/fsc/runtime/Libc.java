package fsc.runtime;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The C library functions the runtime calls through the foreign linker, for its own pages: the
 * activation arena ({@link ActivationMemory}) and the machine-code kernels ({@code
 * x86.ExecutableMemory}). One lookup and one {@code mmap} signature for both.
 */
public final class Libc {
    public static final int PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;

    /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}. */
    public static final FunctionDescriptor MMAP = FunctionDescriptor.of(
            ValueLayout.ADDRESS,
            ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG);

    /**
     * {@code int f(void *addr, size_t length, int arg)}: the shape of {@code mprotect} and {@code
     * madvise}. One descriptor for both because the linker makes (and a cold JVM pays ~4-30 ms for)
     * one stub and one spun class per distinct descriptor, and shares them between equal ones.
     */
    public static final FunctionDescriptor ADDRESS_RANGE_INT = FunctionDescriptor.of(
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT);

    /** {@code int munmap(void *addr, size_t length)}. */
    public static final FunctionDescriptor MUNMAP =
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);

    /**
     * {@code MAP_PRIVATE | MAP_ANONYMOUS} for this platform (with {@code MAP_NORESERVE} on Linux: no
     * commit charge until pages are touched), or 0 where fsc does not map its own pages.
     */
    public static final int ANONYMOUS_MAP_FLAGS = anonymousMapFlags();

    private Libc() {}

    private static int anonymousMapFlags() {
        String os = System.getProperty("os.name", "");
        if (os.startsWith("Linux")) {
            return 0x02 | 0x20 | 0x4000;
        }
        if (os.startsWith("Mac")) {
            return 0x02 | 0x1000;
        }
        return 0;
    }

    /**
     * A downcall to the C library's {@code name}, or null where it cannot be had: no such symbol,
     * no linker on this platform, or native access denied ({@code --illegal-native-access=deny}).
     */
    public static MethodHandle handle(String name, FunctionDescriptor fd) {
        try {
            Linker linker = Linker.nativeLinker();
            // No lambda here: a cold JVM spins a class for each one it meets.
            java.util.Optional<java.lang.foreign.MemorySegment> symbol =
                    linker.defaultLookup().find(name);
            return symbol.isPresent() ? linker.downcallHandle(symbol.get(), fd) : null;
        } catch (Throwable t) {
            return null;
        }
    }
}
