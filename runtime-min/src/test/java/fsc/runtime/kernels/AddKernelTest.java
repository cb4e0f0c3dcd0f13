package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.runtime.x86.CpuFeatures;
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

    /**
     * The scalar twin a fresh JVM runs ({@link AddKernel#scalarBlock}) and the machine code {@link
     * AddKernel#run} takes on AVX-512 write the vector block's bits,
     * over special values (±0, ±∞, NaN, subnormals, overflow to ∞, cancellation) and block lengths
     * that are not a multiple of the lane count, from a start that is not one either.
     */
    @Test
    void theScalarTwinGivesTheVectorBlocksBits() {
        float[] specials = {
            0f,
            -0f,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.NaN,
            Float.MIN_VALUE,
            -Float.MIN_VALUE,
            1e-40f,
            Float.MIN_NORMAL,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            1e30f,
            -1e30f,
            1f
        };
        Random rnd = new Random(11);
        int count = 1000;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = BinaryBlocksTest.random(arena, count, rnd);
            MemorySegment b = BinaryBlocksTest.random(arena, count, rnd);
            for (int i = 0; i < specials.length; i++) {
                for (int j = 0; j < specials.length; j++) {
                    a.setAtIndex(F32, i * specials.length + j, specials[i]);
                    b.setAtIndex(F32, i * specials.length + j, specials[j]);
                }
            }
            MemorySegment vector = arena.allocate(4L * count);
            MemorySegment scalar = arena.allocate(4L * count);
            assertEquals(CpuFeatures.avx512(), AddKernel.machineCode(), "the machine code runs where AVX-512 does");
            for (int n : new int[] {1, 15, 16, 17, 196, 977}) { // run: the machine code on AVX-512
                AddKernel.block(a, b, vector, 0, n);
                scalar.fill((byte) 0);
                AddKernel.run(a, b, scalar, n, null);
                assertEquals(-1L, vector.asSlice(0, 4L * n).mismatch(scalar.asSlice(0, 4L * n)), "run, n " + n);
            }
            for (int start : new int[] {0, 3, 17}) {
                for (int n : new int[] {1, 15, 16, 17, 63, 196, 977}) {
                    AddKernel.block(a, b, vector, start, n);
                    AddKernel.scalarBlock(a, b, scalar, start, n);
                    assertEquals(-1L, vector.mismatch(scalar), "start " + start + ", n " + n);
                }
            }
        }
    }
}
