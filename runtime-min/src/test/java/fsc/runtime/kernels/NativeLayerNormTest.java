package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.runtime.x86.CpuFeatures;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatMath#layerNormRows} in machine code ({@link NativeLayerNorm}, AVX-512 at 512-bit
 * species) against the vector rows bit for bit: widths below, at and off a multiple of sixteen, one
 * and several rows, with and without a bias, in place and into another buffer, rows with a large
 * mean and constant rows; the padding around the output stays untouched.
 */
class NativeLayerNormTest {
    private static final int VL = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void machineCodeRowsGiveTheVectorRowsBits() {
        assertEquals(CpuFeatures.avx512() && VL == 16, NativeLayerNorm.machineCode(), "where the machine code runs");
        Random rnd = new Random(19);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {1, 3, 15, 16, 17, 37, 384, 385, 1000}) {
                for (int rows : new int[] {1, 3}) {
                    for (int kind = 0; kind < 3; kind++) {
                        for (boolean bias : new boolean[] {false, true}) {
                            for (boolean inPlace : new boolean[] {false, true}) {
                                check(arena, rnd, n, rows, kind, bias, inPlace);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void check(Arena arena, Random rnd, int n, int rows, int kind, boolean bias, boolean inPlace) {
        long pad = 16;
        MemorySegment x = arena.allocate(4L * rows * n + 2 * 4 * pad);
        MemorySegment gamma = arena.allocate(4L * n);
        MemorySegment beta = arena.allocate(4L * n);
        for (int i = 0; i < rows * n; i++) {
            float v = kind == 2 ? 3.5f : (float) rnd.nextGaussian() * (kind == 1 ? 0.01f : 2f) + (kind == 1 ? 1e4f : 0);
            x.setAtIndex(ValueLayout.JAVA_FLOAT, pad + i, v);
        }
        for (int i = 0; i < n; i++) {
            gamma.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
            beta.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
        }
        MemorySegment expected = arena.allocate(x.byteSize());
        MemorySegment actual = arena.allocate(x.byteSize());
        expected.fill((byte) 0x7f);
        actual.fill((byte) 0x7f);
        FloatMath.layerNormRows(x, 4 * pad, expected, 4 * pad, rows, n, gamma, 0, bias ? beta : null, 0, 1e-5f, false);
        MemorySegment in = x;
        if (inPlace) {
            actual.copyFrom(x);
            in = actual;
            for (long i = 0; i < pad; i++) { // the padding as in expected
                actual.setAtIndex(ValueLayout.JAVA_INT, i, 0x7f7f7f7f);
                actual.setAtIndex(ValueLayout.JAVA_INT, pad + (long) rows * n + i, 0x7f7f7f7f);
            }
        }
        FloatMath.layerNormRows(in, 4 * pad, actual, 4 * pad, rows, n, gamma, 0, bias ? beta : null, 0, 1e-5f);
        String what = "n=" + n + " rows=" + rows + " kind=" + kind + " bias=" + bias + " inPlace=" + inPlace;
        for (long i = 0; i < actual.byteSize() / 4; i++) {
            assertEquals(
                    expected.getAtIndex(ValueLayout.JAVA_INT, i),
                    actual.getAtIndex(ValueLayout.JAVA_INT, i),
                    what + " element " + (i - pad));
        }
    }

    @Test
    void rowsOutsideTheSegmentAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * 32);
            MemorySegment g = arena.allocate(4L * 32);
            assertThrows(
                    IndexOutOfBoundsException.class,
                    () -> FloatMath.layerNormRows(x, 0, x, 0, 2, 32, g, 0, null, 0, 1e-5f));
        }
    }
}
