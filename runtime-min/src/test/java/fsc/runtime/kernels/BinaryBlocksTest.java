package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The shared block driver of {@link AddKernel} and {@link SiluMul}: on 1–4 threads each kernel gives
 * its one-thread result bit for bit (counts with a vector tail and a partial last block). The
 * kernels' own tests check their values against scalar references.
 */
class BinaryBlocksTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Counts with a vector tail, a partial last block, and one above every kernel's parallel threshold. */
    static final long[] COUNTS = {1, 15, 17, 4096, 4097, 5632, 128L * 5632 + 3};

    /** {@code run(a, b, y, count, par)} of a kernel under test. */
    @FunctionalInterface
    interface Kernel {
        void run(MemorySegment a, MemorySegment b, MemorySegment y, long count, Parallelism par);
    }

    @Test
    void addOnAnyThreadCountMatchesOneThread() {
        assertThreadCountsAgree(AddKernel::run, 8);
    }

    @Test
    void siluMulOnAnyThreadCountMatchesOneThread() {
        assertThreadCountsAgree(SiluMul::run, 8);
    }

    private static void assertThreadCountsAgree(Kernel kernel, long seed) {
        Random rnd = new Random(seed);
        try (Arena arena = Arena.ofShared()) {
            for (int threads = 1; threads <= 4; threads++) {
                try (Parallelism par = Parallelism.of(threads)) {
                    for (long count : COUNTS) {
                        MemorySegment a = random(arena, count, rnd);
                        MemorySegment b = random(arena, count, rnd);
                        MemorySegment one = arena.allocate(4 * count);
                        MemorySegment split = arena.allocate(4 * count);
                        kernel.run(a, b, one, count, null);
                        kernel.run(a, b, split, count, par);
                        assertEquals(-1L, one.mismatch(split), count + " on " + threads + " threads");
                    }
                }
            }
        }
    }

    /** {@code count} floats drawn from N(0, 9). */
    static MemorySegment random(Arena arena, long count, Random rnd) {
        MemorySegment m = arena.allocate(4 * count);
        for (long i = 0; i < count; i++) {
            m.setAtIndex(F32, i, (float) (3 * rnd.nextGaussian()));
        }
        return m;
    }
}
