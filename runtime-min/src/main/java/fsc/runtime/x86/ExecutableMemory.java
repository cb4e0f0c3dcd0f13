package fsc.runtime.x86;

import fsc.runtime.Libc;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Maps machine code executable and links it as a method handle: {@code mmap} a private anonymous
 * page read-write, copy the code in, {@code mprotect} it read-execute (never writable and
 * executable at once), then {@link Linker#downcallHandle} at its address. The pages live as long as
 * the process: kernels are a few hundred bytes each and made once.
 *
 * <p>Handles are linked {@link Linker.Option#critical critical}: the kernels run for microseconds to
 * milliseconds, never block and never call back, so the thread-state transition is skipped.
 */
public final class ExecutableMemory {
    private static final int MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;
    private static final long PAGE = 4096;

    private ExecutableMemory() {}

    /** The signature of the kernels: one long, the address of their parameter block. */
    public static final FunctionDescriptor KERNEL = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    /**
     * Links what {@link #link} will need, without mapping anything: {@code mmap}, {@code mprotect} and
     * the linker's stub for {@link #KERNEL} handles (shared by every later handle of that signature).
     * For {@code ForeignWarmup}, off the main thread; false where no machine-code kernel runs here.
     */
    public static boolean prelink() {
        if (!CpuFeatures.avx512() || Calls.MMAP == null || Calls.MPROTECT == null) {
            return false;
        }
        Linker.nativeLinker().downcallHandle(KERNEL, Linker.Option.critical(false));
        return true;
    }

    /** Maps {@code code} executable and returns a handle of type {@code signature}. */
    public static MethodHandle link(byte[] code, FunctionDescriptor signature) {
        Linker linker = Linker.nativeLinker();
        long size = (code.length + PAGE - 1) / PAGE * PAGE;
        MemorySegment page;
        try {
            MemorySegment at = (MemorySegment) Calls.mmap()
                    .invokeExact(
                            MemorySegment.NULL,
                            size,
                            Libc.PROT_READ | Libc.PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS,
                            -1,
                            0L);
            if (at.address() == -1L || at.address() == 0L) {
                throw new IllegalStateException("mmap of " + size + " bytes for a native kernel failed");
            }
            page = at.reinterpret(size);
            MemorySegment.copy(code, 0, page, ValueLayout.JAVA_BYTE, 0, code.length);
            int rc = (int) Calls.mprotect().invokeExact(page, size, Libc.PROT_READ | Libc.PROT_EXEC);
            if (rc != 0) {
                throw new IllegalStateException("mprotect(PROT_EXEC) of a native kernel failed: " + rc);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mapping a native kernel failed", t);
        }
        return linker.downcallHandle(page, signature, Linker.Option.critical(false));
    }

    /**
     * libc's {@code mmap} and {@code mprotect}, looked up and linked once for every kernel a process
     * maps (a model links a dozen), or null where they cannot be had ({@link #link} then throws).
     */
    private static final class Calls {
        static final MethodHandle MMAP = Libc.handle("mmap", Libc.MMAP);
        static final MethodHandle MPROTECT = Libc.handle("mprotect", Libc.ADDRESS_RANGE_INT);

        static MethodHandle mmap() {
            return present(MMAP, "mmap");
        }

        static MethodHandle mprotect() {
            return present(MPROTECT, "mprotect");
        }

        private static MethodHandle present(MethodHandle h, String name) {
            if (h == null) {
                throw new IllegalStateException("cannot call the C library's " + name + " (native access denied?)");
            }
            return h;
        }
    }

    /**
     * Calls a kernel {@link #link}ed with the signature of one long (its parameter block's address).
     * The machine code throws nothing itself; what the call throws is rethrown unchanged, or wrapped
     * when it is checked, so every kernel class calls its code the same way.
     */
    public static void call(MethodHandle kernel, long params) {
        try {
            kernel.invokeExact(params);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
