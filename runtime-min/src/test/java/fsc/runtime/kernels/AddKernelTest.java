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
 * {@link AddKernel} against a scalar reference (exact: one rounding per element) (counts with a vector tail and a
 * partial last block, in place), and on 1–4 threads against one thread, bit for bit.
 */
class AddKernelTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long[] COUNTS = {1, 15, 17, 4096, 4097, 5632, 128L * 5632 + 3};

    @Test
    void matchesAScalarReference() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (long count : COUNTS) {
                MemorySegment a = random(arena, count, rnd);
                MemorySegment b = random(arena, count, rnd);
                MemorySegment y = arena.allocate(4 * count);
                AddKernel.run(a, b, y, count, null);
                for (long i = 0; i < count; i++) {
                    float want = a.getAtIndex(F32, i) + b.getAtIndex(F32, i);
                    assertEquals(want, y.getAtIndex(F32, i), count + " [" + i + "]");
                }
                MemorySegment inPlace = arena.allocate(4 * count);
                inPlace.copyFrom(a);
                AddKernel.run(inPlace, b, inPlace, count, null);
                assertEquals(-1L, y.mismatch(inPlace), count + " in place");
            }
        }
    }

    @Test
    void blocksOnAnyThreadCountMatchOneThread() {
        Random rnd = new Random(8);
        try (Arena arena = Arena.ofShared()) {
            for (int threads = 1; threads <= 4; threads++) {
                try (Parallelism par = Parallelism.of(threads)) {
                    for (long count : COUNTS) {
                        MemorySegment a = random(arena, count, rnd);
                        MemorySegment b = random(arena, count, rnd);
                        MemorySegment one = arena.allocate(4 * count);
                        MemorySegment split = arena.allocate(4 * count);
                        AddKernel.run(a, b, one, count, null);
                        AddKernel.run(a, b, split, count, par);
                        assertEquals(-1L, one.mismatch(split), count + " on " + threads + " threads");
                    }
                }
            }
        }
    }

    private static MemorySegment random(Arena arena, long count, Random rnd) {
        MemorySegment m = arena.allocate(4 * count);
        for (long i = 0; i < count; i++) {
            m.setAtIndex(F32, i, (float) (3 * rnd.nextGaussian()));
        }
        return m;
    }
}
