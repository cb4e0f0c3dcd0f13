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

    /** Bytes of {@link #sumFour}'s gather index vector in a constants segment. */
    static final int FOUR_BYTES = 64;

    /** Writes {@link #sumFour}'s gather indices (lanes 0, 4, 8, 12 to lanes 0-3) at byte {@code at}. */
    static void writeFourIndices(MemorySegment constants, long at) {
        for (int i = 0; i < 16; i++) {
            constants.set(ValueLayout.JAVA_INT, at + 4L * i, 4 * (i % 4));
        }
    }

    /**
     * Sums the lanes of each of {@code a..a+3} in {@link #sum}'s order (lane i plus lane i+8, then
     * i+4, i+2, i+1) into lanes 0-3 of {@code a}, four vectors sharing each step's shuffles and
     * adds: the halves of two vectors are paired across registers ({@code vshufi64x2}), then the
     * quarters of four, then the last two steps run within 128-bit lanes ({@code vpshufd}), leaving
     * vector k's sum in lane 4k, which {@code vpermd} by {@code indices} ({@link
     * #writeFourIndices}) gathers. Each add has {@link #sum}'s operands, so the same bits; {@code
     * a..a+3}, {@code t0} and {@code t1} are overwritten.
     */
    static void sumFour(Assembler x, int a, int t0, int t1, int indices) {
        for (int pair = 0; pair < 2; pair++) {
            int v = a + 2 * pair;
            x.vshufi64x2(t0, v, v + 1, 0x44); // low halves of v and v+1
            x.vshufi64x2(t1, v, v + 1, 0xEE); // high halves
            x.vaddps(v, t0, t1);
        }
        x.vshufi64x2(t0, a, a + 2, 0x88); // quarters 0 and 2 of each pair
        x.vshufi64x2(t1, a, a + 2, 0xDD); // quarters 1 and 3
        x.vaddps(a, t0, t1);
        x.vpshufd(t0, a, 0x4E); // lanes 2, 3, 0, 1 of each 128-bit lane
        x.vaddps(a, a, t0);
        x.vpshufd(t0, a, 0xB1); // lanes 1, 0, 3, 2
        x.vaddps(a, a, t0);
        x.vpermd(a, indices, a);
    }
}
