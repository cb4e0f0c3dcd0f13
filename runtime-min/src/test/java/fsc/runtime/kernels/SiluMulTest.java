package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SiluMul} against a scalar double-precision reference (counts with a vector tail and a
 * partial last block, in place) (thread counts: BinaryBlocksTest).
 */
class SiluMulTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void matchesAScalarReference() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (long count : BinaryBlocksTest.COUNTS) {
                MemorySegment gate = BinaryBlocksTest.random(arena, count, rnd);
                MemorySegment up = BinaryBlocksTest.random(arena, count, rnd);
                MemorySegment y = arena.allocate(4 * count);
                SiluMul.run(gate, up, y, count, null);
                for (long i = 0; i < count; i++) {
                    double g = gate.getAtIndex(F32, i);
                    double want = g / (1 + Math.exp(-g)) * up.getAtIndex(F32, i);
                    assertEquals(
                            want, y.getAtIndex(F32, i), 1e-5 * Math.max(1, Math.abs(want)), count + " [" + i + "]");
                }
                MemorySegment inPlace = arena.allocate(4 * count);
                inPlace.copyFrom(gate);
                SiluMul.run(inPlace, up, inPlace, count, null);
                assertEquals(-1L, y.mismatch(inPlace), count + " in place");
            }
        }
    }
}
