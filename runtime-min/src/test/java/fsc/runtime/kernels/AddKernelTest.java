package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link AddKernel} against a scalar reference (exact: one rounding per element) (counts with a vector tail and a
 * partial last block, in place) (thread counts: BinaryBlocksTest).
 */
class AddKernelTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void matchesAScalarReference() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (long count : BinaryBlocksTest.COUNTS) {
                MemorySegment a = BinaryBlocksTest.random(arena, count, rnd);
                MemorySegment b = BinaryBlocksTest.random(arena, count, rnd);
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
}
