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
 * {@link RmsNorm} against a scalar double-precision reference (odd row lengths for the vector tail,
 * offsets, in place), and {@link RowsParallel#rmsNormRows} on 1–4 threads against one thread, bit
 * for bit, for row counts that split unevenly and on both sides of the inline cutoff.
 */
class RmsNormTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[][] SHAPES = {{1, 7}, {1, 2048}, {3, 384}, {129, 385}, {128, 2048}, {257, 131}};

    @Test
    void theColdTwinGivesTheVectorRowsBits() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : SHAPES) {
                int rows = s[0], n = s[1];
                long off = 12;
                MemorySegment x = random(arena, off + 4L * rows * n, rnd);
                MemorySegment scale = random(arena, 8 + 4L * n, rnd);
                MemorySegment vector = arena.allocate(off + 4L * rows * n);
                MemorySegment cold = arena.allocate(off + 4L * rows * n);
                long rowBytes = 4L * n;
                for (int r = 0; r < rows; r++) {
                    RmsNorm.row(x, off + r * rowBytes, vector, off + r * rowBytes, n, scale, 8, 1e-5f);
                }
                RmsNorm.rowsCold(x, off, cold, off, 0, rows, n, scale, 8, 1e-5f);
                assertEquals(-1L, vector.mismatch(cold), rows + "x" + n);
            }
        }
    }

    @Test
    void matchesAScalarReference() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : SHAPES) {
                int rows = s[0], n = s[1];
                long off = 12; // three floats in: no row starts on a vector boundary
                MemorySegment x = random(arena, off + 4L * rows * n, rnd);
                MemorySegment scale = random(arena, 8 + 4L * n, rnd);
                MemorySegment y = arena.allocate(off + 4L * rows * n);
                RmsNorm.rows(x, off, y, off, 0, rows, n, scale, 8, 1e-5f);
                for (int r = 0; r < rows; r++) {
                    double ms = 0;
                    for (int i = 0; i < n; i++) {
                        double v = x.get(F32, off + 4L * (r * n + i));
                        ms += v * v;
                    }
                    double inv = 1 / Math.sqrt(ms / n + 1e-5);
                    for (int i = 0; i < n; i++) {
                        double want = x.get(F32, off + 4L * (r * n + i)) * inv * scale.get(F32, 8 + 4L * i);
                        float got = y.get(F32, off + 4L * (r * n + i));
                        assertEquals(
                                want,
                                got,
                                1e-5 * Math.max(1, Math.abs(want)),
                                rows + "x" + n + " [" + r + "," + i + "]");
                    }
                }
                // In place: the row is read whole for its mean square before it is overwritten.
                MemorySegment inPlace = arena.allocate(off + 4L * rows * n);
                inPlace.copyFrom(x);
                RmsNorm.rows(inPlace, off, inPlace, off, 0, rows, n, scale, 8, 1e-5f);
                assertEquals(-1L, y.asSlice(off).mismatch(inPlace.asSlice(off)), rows + "x" + n + " in place");
            }
        }
    }

    @Test
    void rowBlocksOnAnyThreadCountMatchOneThread() {
        Random rnd = new Random(6);
        try (Arena arena = Arena.ofShared()) {
            for (int threads = 1; threads <= 4; threads++) {
                try (Parallelism par = Parallelism.of(threads)) {
                    for (int[] s : SHAPES) {
                        int rows = s[0], n = s[1];
                        MemorySegment x = random(arena, 4L * rows * n, rnd);
                        MemorySegment scale = random(arena, 4L * n, rnd);
                        MemorySegment one = arena.allocate(4L * rows * n);
                        MemorySegment split = arena.allocate(4L * rows * n);
                        RmsNorm.rows(x, 0, one, 0, 0, rows, n, scale, 0, 1e-6f);
                        RowsParallel.rmsNormRows(x, split, rows, n, scale, 1e-6f, par);
                        assertEquals(-1L, one.mismatch(split), rows + "x" + n + " on " + threads + " threads");
                    }
                }
            }
        }
    }

    private static MemorySegment random(Arena arena, long bytes, Random rnd) {
        MemorySegment m = arena.allocate(bytes);
        for (long i = 0; i + 4 <= bytes; i += 4) {
            m.set(F32, i, (float) rnd.nextGaussian());
        }
        return m;
    }
}
