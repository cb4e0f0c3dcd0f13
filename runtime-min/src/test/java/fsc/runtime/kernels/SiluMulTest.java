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
    void theColdTwinGivesTheVectorBlocksBits() {
        float[] special = {
            0f,
            -0f,
            1f,
            -1f,
            88f,
            -88f,
            104f,
            -104f,
            1e-40f,
            -1e-40f,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.NaN,
            20f,
            -20f
        };
        Random rnd = new Random(8);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {1, 15, 16, 17, 300, 4096}) {
                MemorySegment gate = arena.allocate(4L * (n + 3));
                MemorySegment up = arena.allocate(4L * (n + 3));
                for (int i = 0; i < n + 3; i++) {
                    gate.setAtIndex(F32, i, i < special.length ? special[i] : (float) rnd.nextGaussian() * 8);
                    up.setAtIndex(F32, i, (float) rnd.nextGaussian());
                }
                MemorySegment vector = arena.allocate(4L * (n + 3));
                MemorySegment cold = arena.allocate(4L * (n + 3));
                SiluMul.block(gate, up, vector, 3, n);
                SiluMul.scalarBlock(gate, up, cold, 3, n);
                for (int i = 0; i < n + 3; i++) { // the same bits; any NaN counts as NaN (payloads vary by JIT tier)
                    assertEquals(
                            Float.floatToIntBits(vector.getAtIndex(F32, i)),
                            Float.floatToIntBits(cold.getAtIndex(F32, i)),
                            "n=" + n + " [" + i + "] gate " + gate.getAtIndex(F32, i));
                }
            }
        }
    }

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
