package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sparse-column matmul gives the dense packed GEMM's bits on Resize-like tables (two and four
 * non-zeros per column, at the edges one), row-major and panelled, one and two threads, row counts
 * on and off the parallel split.
 */
class SparseColumnsMatmulTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Test
    void matchesTheDenseGemmBitForBit() {
        Random r = new Random(3);
        try (Parallelism two = Parallelism.of(2)) {
            for (int[] c : new int[][] {{37, 20, 40, 2}, {200, 64, 128, 2}, {70, 256, 512, 2}, {9, 33, 17, 4}}) {
                int m = c[0], k = c[1], n = c[2], taps = c[3];
                try (Arena arena = Arena.ofShared()) {
                    MemorySegment b = table(arena, k, n, taps, r);
                    MemorySegment a = arena.allocate(4L * m * k + 8);
                    for (long i = 0; i < (long) m * k; i++) {
                        a.set(F32, 8 + 4 * i, (float) r.nextGaussian());
                    }
                    MemorySegment packed = arena.allocate(Sgemm.packedBytes(k, n));
                    Sgemm.packB(b, 0, k, n, false, packed, 0);
                    MemorySegment want = arena.allocate(4L * m * n);
                    Sgemm.gemmPacked(m, n, k, a, 8, k, packed, 0, want, 0, n, false, null);
                    for (int panel : new int[] {0, Sgemm.panelWidth()}) {
                        MemorySegment layout = panel == 0 ? b : packed;
                        SparseColumnsMatmul sparse = new SparseColumnsMatmul(layout, 0, k, n, panel);
                        for (Parallelism par : new Parallelism[] {null, two}) {
                            MemorySegment got = arena.allocate(4L * m * n + 4);
                            sparse.run(m, a, 8, got, 4, par);
                            for (long i = 0; i < (long) m * n; i++) {
                                assertEquals(
                                        Float.floatToRawIntBits(want.get(F32, 4 * i)),
                                        Float.floatToRawIntBits(got.get(F32, 4 + 4 * i)),
                                        "m=" + m + " k=" + k + " n=" + n + " panel=" + panel + " at " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void takesOnlyFewNonZerosPerColumnOfALongEnoughK() {
        assertTrue(SparseColumnsMatmul.applies(256, 2));
        assertTrue(SparseColumnsMatmul.applies(16, 4));
        assertFalse(SparseColumnsMatmul.applies(256, 5));
        assertFalse(SparseColumnsMatmul.applies(8, 2));
    }

    /** A {@code [k, n]} resampling table: column j blends {@code taps} consecutive rows (fewer at the ends). */
    private static MemorySegment table(Arena arena, int k, int n, int taps, Random r) {
        MemorySegment b = arena.allocate(4L * k * n);
        for (int j = 0; j < n; j++) {
            int first = (int) ((long) j * k / n) - taps / 2 + 1;
            for (int t = 0; t < taps; t++) {
                int kk = first + t;
                if (kk >= 0 && kk < k) {
                    b.set(F32, 4L * ((long) kk * n + j), r.nextFloat());
                }
            }
        }
        return b;
    }
}
