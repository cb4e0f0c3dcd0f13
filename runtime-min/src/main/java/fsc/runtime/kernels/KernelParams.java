package fsc.runtime.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A machine-code kernel's parameter block per thread: the caller fills {@link Block#values} and
 * passes {@link Block#publish}'s address. Filled in an array and copied in one call because a fresh
 * process runs its callers in the interpreter, where a segment write per slot goes through a
 * VarHandle (dozens of interpreted frames) and one bulk copy pays that path once. A {@code
 * ThreadLocal} subclass, not {@code withInitial}: no lambda to spin in a cold process.
 */
final class KernelParams extends ThreadLocal<KernelParams.Block> {
    private final int slots;

    /** Blocks of {@code slots} longs. */
    KernelParams(int slots) {
        this.slots = slots;
    }

    @Override
    protected Block initialValue() {
        return new Block(new long[slots], Arena.ofAuto().allocate(8L * slots, 64));
    }

    /** One thread's block: the values, and the native memory the kernel reads them from. */
    static final class Block {
        final long[] values;
        private final MemorySegment segment;

        private Block(long[] values, MemorySegment segment) {
            this.values = values;
            this.segment = segment;
        }

        /** Copies {@link #values} to native memory and returns its address, for the kernel. */
        long publish() {
            MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_LONG, 0, values.length);
            return segment.address();
        }
    }
}
