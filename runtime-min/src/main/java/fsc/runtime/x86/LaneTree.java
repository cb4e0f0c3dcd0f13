package fsc.runtime.x86;

import fsc.runtime.x86.Assembler.Mem;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The fixed-order sum of a vector's sixteen float lanes as the Java kernels take it ({@code
 * Lanes.sum}: rotate by 8, 4, 2, 1 and add), for the machine-code kernels that must give the same
 * bits: the four rotation index vectors (written into a kernel's constants, loaded into four
 * registers) and the {@code vpermd}/{@code vaddps} steps that use them.
 */
final class LaneTree {
    /** Bytes of the four rotation vectors in a constants segment. */
    static final int BYTES = 4 * 64;

    private LaneTree() {}

    /** Writes the rotations by 8, 4, 2 and 1 lanes at byte {@code at} of {@code constants}. */
    static void writeRotations(MemorySegment constants, long at) {
        for (int step = 0; step < 4; step++) {
            int h = 8 >> step;
            for (int i = 0; i < 16; i++) {
                constants.set(ValueLayout.JAVA_INT, at + 64L * step + 4L * i, (i + h) % 16);
            }
        }
    }

    /** Loads the rotations written at {@code rotations} into registers {@code base..base+3}. */
    static void loadRotations(Assembler x, int base, Mem rotations) {
        for (int step = 0; step < 4; step++) {
            x.vmovupsLoad(
                    base + step,
                    new Mem(rotations.base(), rotations.index(), rotations.scale(), rotations.disp() + 64 * step));
        }
    }

    /** Sums the lanes of {@code acc} into its lane 0, with {@code tmp} as scratch. */
    static void sum(Assembler x, int acc, int tmp, int base) {
        for (int step = 0; step < 4; step++) {
            x.vpermd(tmp, base + step, acc);
            x.vaddps(acc, acc, tmp);
        }
    }
}
