package fsc.runtime.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Argument packing for {@code cuLaunchKernel}: every fsc kernel takes {@code (u8* A, const u8* W,
 * u8* P, i64 symbol...)} (arena base, weights base, resident state base or 0 when the model has
 * none, the symbol values in sorted name order), and the driver wants an array of pointers, one to
 * each argument's bytes. All arguments are 8 bytes wide.
 */
public final class KernelArgs {
    private KernelArgs() {}

    /** Base pointers ahead of the symbols: arena, weights, state. */
    static final int POINTERS = 3;

    /** The {@code void**} array for one launch, allocated in {@code arena}. */
    public static MemorySegment pack(Arena arena, long arenaPtr, long weightsPtr, long statePtr, long[] symbols) {
        int n = POINTERS + symbols.length;
        MemorySegment values = arena.allocate(JAVA_LONG, n);
        values.setAtIndex(JAVA_LONG, 0, arenaPtr);
        values.setAtIndex(JAVA_LONG, 1, weightsPtr);
        values.setAtIndex(JAVA_LONG, 2, statePtr);
        for (int i = 0; i < symbols.length; i++) {
            values.setAtIndex(JAVA_LONG, POINTERS + i, symbols[i]);
        }
        MemorySegment pointers = arena.allocate(ADDRESS, n);
        for (int i = 0; i < n; i++) {
            pointers.setAtIndex(ADDRESS, i, values.asSlice(8L * i, 8));
        }
        return pointers;
    }
}
