package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code y[M, N] = a[M, K] · B[K, N]} for a constant B with a few non-zeros per column: the
 * interpolation tables a Resize is imported as (bilinear: two per column; cubic: four), which the
 * dense GEMM multiplies by in full: ISNet's 39 bilinear Resizes spent 312 ms a call, 6 % of the
 * model, on 33 GFLOP of which 0.07 are not products with zero. Here each output is the FMA chain
 * of its column's non-zeros in ascending k from 0, the order the dense kernel's chain takes (its
 * products with zero add nothing to a finite sum), so the bits are the dense GEMM's.
 *
 * <p>B's non-zeros are read once, at construction, from the constant as the model holds it: row
 * major, or in the {@code layout} pass's panels of {@code panel} columns. Rows of a and y are split
 * across the team. Not safe for concurrent calls (the call's operands are fields, so the parallel
 * body allocates nothing).
 */
public final class SparseColumnsMatmul implements Parallelism.IntRangeBody {
    /** Most non-zeros per column this kernel takes; a denser B is a GEMM's. */
    public static final int MAX_PER_COLUMN = 4;

    /** Rows below which a call stays on the calling thread. */
    private static final int PARALLEL_MIN_ROWS = 64;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int k;
    private final int n;
    /** Entries per column: the most non-zeros of any column (at least 1). */
    private final int taps;
    /**
     * Column j's entries are {@code [j · taps, (j + 1) · taps)} of {@link #rows} and {@link
     * #weights}, its non-zeros in ascending k after as many leading zero weights as it lacks (each
     * on row 0 of a: {@code fma(x, 0, 0)} is a zero, which the chain's first product replaces).
     */
    private final int[] rows;

    private final float[] weights;

    // The running call.
    private MemorySegment a;
    private long aOff;
    private MemorySegment y;
    private long yOff;

    /**
     * B {@code [k, n]} at byte {@code off} of {@code b}: row major when {@code panel} is 0, else in
     * panels of {@code panel} columns ({@code ((j / panel) · k + kk) · panel + j mod panel}).
     */
    public SparseColumnsMatmul(MemorySegment b, long off, int k, int n, int panel) {
        this.k = k;
        this.n = n;
        int[] counts = new int[n];
        int most = 1;
        for (int j = 0; j < n; j++) {
            counts[j] = nonZeros(b, off, j, k, n, panel);
            most = Math.max(most, counts[j]);
        }
        this.taps = most;
        this.rows = new int[n * most];
        this.weights = new float[n * most];
        for (int j = 0; j < n; j++) {
            int t = j * most + most - counts[j]; // leading entries stay row 0, weight 0
            for (int kk = 0; kk < k; kk++) {
                float w = b.get(F32, off + 4 * index(kk, j, k, n, panel));
                if (w != 0f) {
                    rows[t] = kk;
                    weights[t++] = w;
                }
            }
        }
    }

    /**
     * The most non-zeros of any column of B (laid out as for the constructor), or the first count
     * above {@code limit}: the compiler asks whether a constant is sparse enough without reading all
     * of a dense one.
     */
    public static int mostPerColumn(MemorySegment b, long off, int k, int n, int panel, int limit) {
        int most = 0;
        for (int j = 0; j < n && most <= limit; j++) {
            most = Math.max(most, nonZeros(b, off, j, k, n, panel));
        }
        return most;
    }

    private static int nonZeros(MemorySegment b, long off, int j, int k, int n, int panel) {
        int count = 0;
        for (int kk = 0; kk < k; kk++) {
            if (b.get(F32, off + 4 * index(kk, j, k, n, panel)) != 0f) {
                count++;
            }
        }
        return count;
    }

    /** Element {@code (kk, j)}'s float index in B's layout. */
    static long index(int kk, int j, int k, int n, int panel) {
        return panel == 0 ? (long) kk * n + j : ((long) (j / panel) * k + kk) * panel + j % panel;
    }

    /** Whether a B whose columns have at most {@code perColumn} non-zeros is worth this kernel. */
    public static boolean applies(int k, int perColumn) {
        return perColumn <= MAX_PER_COLUMN && k >= 4 * MAX_PER_COLUMN;
    }

    /** Computes {@code y[m, n] = a[m, k] · B} (offsets in bytes); {@code par} may be null. */
    public void run(int m, MemorySegment a, long aOff, MemorySegment y, long yOff, Parallelism par) {
        java.util.Objects.checkFromIndexSize(aOff, 4L * m * k, a.byteSize());
        java.util.Objects.checkFromIndexSize(yOff, 4L * m * n, y.byteSize());
        if (par == null || par.threads() == 1 || m < PARALLEL_MIN_ROWS) {
            rows(a, aOff, y, yOff, 0, m);
            return;
        }
        this.a = a;
        this.aOff = aOff;
        this.y = y;
        this.yOff = yOff;
        try {
            par.forRange(0, m, 1, this);
        } finally {
            this.a = null;
            this.y = null;
        }
    }

    @Override
    public void run(int from, int to) {
        rows(a, aOff, y, yOff, from, to);
    }

    /**
     * Rows {@code [from, to)}: each row of a copied into this thread's heap row, its outputs made in
     * another and copied out (plain array reads, no segment checks per tap).
     */
    private void rows(MemorySegment a, long aOff, MemorySegment y, long yOff, int from, int to) {
        float[] in = RowScratch.floats(k);
        float[] out = RowScratch.floats2(n);
        for (int r = from; r < to; r++) {
            MemorySegment.copy(a, F32, aOff + 4L * r * k, in, 0, k);
            if (taps == 2) {
                for (int j = 0, t = 0; j < n; j++, t += 2) {
                    out[j] = Math.fma(in[rows[t + 1]], weights[t + 1], Math.fma(in[rows[t]], weights[t], 0f));
                }
            } else {
                for (int j = 0, t = 0; j < n; j++) {
                    float acc = 0f;
                    for (int e = 0; e < taps; e++, t++) {
                        acc = Math.fma(in[rows[t]], weights[t], acc);
                    }
                    out[j] = acc;
                }
            }
            MemorySegment.copy(out, 0, y, F32, yOff + 4L * r * n, n);
        }
    }
}
