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
 * {@link SiluMul} against a scalar double-precision reference (counts with a vector tail and a
 * partial last block, in place), and on 1–4 threads against one thread, bit for bit.
 */
class SiluMulTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long[] COUNTS = {1, 15, 17, 4096, 4097, 5632, 128L * 5632 + 3};

    @Test
    void matchesAScalarReference() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (long count : COUNTS) {
                MemorySegment gate = random(arena, count, rnd);
                MemorySegment up = random(arena, count, rnd);
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

    @Test
    void blocksOnAnyThreadCountMatchOneThread() {
        Random rnd = new Random(8);
        try (Arena arena = Arena.ofShared()) {
            for (int threads = 1; threads <= 4; threads++) {
                try (Parallelism par = Parallelism.of(threads)) {
                    for (long count : COUNTS) {
                        MemorySegment gate = random(arena, count, rnd);
                        MemorySegment up = random(arena, count, rnd);
                        MemorySegment one = arena.allocate(4 * count);
                        MemorySegment split = arena.allocate(4 * count);
                        SiluMul.run(gate, up, one, count, null);
                        SiluMul.run(gate, up, split, count, par);
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
