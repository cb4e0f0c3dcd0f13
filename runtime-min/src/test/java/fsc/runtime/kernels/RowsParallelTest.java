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
 * Row blocks over two threads give the one-thread kernels' bits, for row counts that split unevenly,
 * rows of odd length (vector tails), nonzero offsets, and sizes on both sides of the inline cutoff.
 */
class RowsParallelTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[][] SHAPES = {{1, 7}, {3, 384}, {129, 384}, {257, 131}, {1024, 17}};

    @Test
    void layerNormBlocksMatchOneThread() {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared();
                Parallelism two = Parallelism.of(2)) {
            for (int[] s : SHAPES) {
                int rows = s[0], n = s[1];
                long off = 12; // bytes: three floats in, so no row starts on a vector boundary
                MemorySegment x = random(arena, off + (long) rows * n * 4, rnd);
                MemorySegment gamma = random(arena, 4 + n * 4L, rnd);
                MemorySegment beta = random(arena, 4 + n * 4L, rnd);
                MemorySegment one = arena.allocate(off + (long) rows * n * 4);
                MemorySegment split = arena.allocate(off + (long) rows * n * 4);
                FloatMath.layerNormRows(x, off, one, off, rows, n, gamma, 4, beta, 4, 1e-12f);
                RowsParallel.layerNormRows(x, off, split, off, rows, n, gamma, 4, beta, 4, 1e-12f, two);
                assertEquals(-1L, one.mismatch(split), rows + "x" + n);
                RowsParallel.layerNormRows(x, off, split, off, rows, n, gamma, 4, null, 0, 1e-5f, two);
                FloatMath.layerNormRows(x, off, one, off, rows, n, gamma, 4, null, 0, 1e-5f);
                assertEquals(-1L, one.mismatch(split), rows + "x" + n + " without bias");
            }
        }
    }

    @Test
    void softmaxBlocksMatchOneThread() {
        Random rnd = new Random(4);
        try (Arena arena = Arena.ofShared();
                Parallelism two = Parallelism.of(2)) {
            for (int[] s : SHAPES) {
                int rows = s[0], n = s[1];
                long off = 8;
                MemorySegment one = random(arena, off + (long) rows * n * 4, rnd);
                MemorySegment split = arena.allocate(one.byteSize());
                split.copyFrom(one);
                FloatMath.softmaxRows(one, off, rows, n);
                RowsParallel.softmaxRows(split, off, rows, n, two);
                assertEquals(-1L, one.mismatch(split), rows + "x" + n);
            }
        }
    }

    private static MemorySegment random(Arena arena, long bytes, Random rnd) {
        MemorySegment m = arena.allocate(bytes, 64);
        for (long i = 0; i + 4 <= bytes; i += 4) {
            m.set(F32, i, rnd.nextFloat() * 8 - 4);
        }
        return m;
    }
}
