package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The f16 add gives {@code floatToFloat16(float16ToFloat(a) + float16ToFloat(b))} bit for bit:
 * random halves across the whole range with zeros, subnormals, infinities and sums that overflow,
 * lengths on and off the sixteen-half vector and the parallel block, native and heap segments, one
 * and two threads.
 */
class HalfElementwiseTest {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    @Test
    void matchesTheScalarFormulaBitForBit() {
        Random r = new Random(16);
        short[] special = {0, (short) 0x8000, 1, (short) 0x8001, 0x03ff, 0x7bff, (short) 0xfbff, 0x7c00, (short) 0xfc00
        };
        try (Parallelism two = Parallelism.of(2);
                Arena arena = Arena.ofShared()) {
            for (long count : new long[] {0, 1, 15, 16, 17, 1000, 2L * HalfElementwise.BLOCK + 21}) {
                for (boolean heap : new boolean[] {false, true}) {
                    MemorySegment a = segment(arena, count, heap);
                    MemorySegment b = segment(arena, count, heap);
                    for (long i = 0; i < count; i++) {
                        boolean edge = r.nextInt(8) == 0;
                        a.set(
                                F16,
                                2 * i,
                                edge
                                        ? special[r.nextInt(special.length)]
                                        : (short) (r.nextInt() & 0x7bff | r.nextInt(2) << 15));
                        b.set(
                                F16,
                                2 * i,
                                edge
                                        ? special[r.nextInt(special.length)]
                                        : (short) (r.nextInt() & 0x7bff | r.nextInt(2) << 15));
                    }
                    for (Parallelism par : new Parallelism[] {null, two}) {
                        MemorySegment y = segment(arena, count, heap);
                        HalfElementwise.add(a, b, y, count, par);
                        for (long i = 0; i < count; i++) {
                            short want = Float.floatToFloat16(
                                    Float.float16ToFloat(a.get(F16, 2 * i)) + Float.float16ToFloat(b.get(F16, 2 * i)));
                            short got = y.get(F16, 2 * i);
                            if (Float.isNaN(Float.float16ToFloat(want))) {
                                assertEquals(
                                        true, Float.isNaN(Float.float16ToFloat(got)), "count " + count + " at " + i);
                            } else {
                                assertEquals(want, got, "count " + count + " heap " + heap + " at " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void sigmoidMatchesTheGeneratedLoopsFormula() {
        try (Parallelism two = Parallelism.of(2);
                Arena arena = Arena.ofShared()) {
            long count = 65536 + 2L * HalfElementwise.BLOCK; // every half, then more blocks than one
            MemorySegment x = arena.allocate(2 * count);
            for (long i = 0; i < count; i++) {
                x.set(F16, 2 * i, (short) i);
            }
            for (Parallelism par : new Parallelism[] {null, two}) {
                MemorySegment y = arena.allocate(2 * count);
                HalfElementwise.sigmoid(x, y, count, par);
                for (long i = 0; i < count; i++) {
                    float v = Float.float16ToFloat(x.get(F16, 2 * i));
                    short want = Float.floatToFloat16(1f / (1f + (float) Math.exp(-v)));
                    assertEquals(want, y.get(F16, 2 * i), "x " + v);
                }
            }
        }
    }

    private static MemorySegment segment(Arena arena, long count, boolean heap) {
        return heap ? MemorySegment.ofArray(new short[(int) count]) : arena.allocate(2 * count + 2);
    }
}
