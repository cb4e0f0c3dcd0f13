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

    /** Maps {@code code} executable and returns a handle of type {@code signature}. */
    public static MethodHandle link(byte[] code, FunctionDescriptor signature) {
        Linker linker = Linker.nativeLinker();
        long size = (code.length + PAGE - 1) / PAGE * PAGE;
        MemorySegment page;
        try {
            MemorySegment at = (MemorySegment) Libc.require("mmap", Libc.MMAP)
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
            int rc = (int) Libc.require(
                            "mprotect",
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.JAVA_LONG,
                                    ValueLayout.JAVA_INT))
                    .invokeExact(page, size, Libc.PROT_READ | Libc.PROT_EXEC);
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
