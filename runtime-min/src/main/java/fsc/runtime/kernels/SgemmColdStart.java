package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The first calls of a fresh JVM: until C2 has compiled {@link SgemmMicroKernels#kernel8} with its
 * vector intrinsics, every vector operation in it runs the Vector API's Java fallback (an array and
 * a lambda per lane-wise op), about 1,000× slower than compiled code; a fresh process's first MiniLM
 * call spent ~70 % of its seconds there (JFR, docs/EDGE.md). Meanwhile these plain scalar loops,
 * which the interpreter runs and C1 compiles within milliseconds, do the tiles, with the vector
 * kernel's arithmetic in its order: each C element starts from C, the bias row or zero and takes
 * {@code Math.fma(b, a, c)} for k = 0, 1, …, so both give the same bits and the switch is invisible.
 *
 * <p>One tile in 32 still runs the vector kernel, so C2 sees it get hot and compiles it (a cold
 * vector tile costs ~16 scalar ones, so one in 8 spent more there than the scalar tiles did); each
 * such run is timed, and once one takes under {@value #WARM_NS_PER_FMA} ns per vector FMA (compiled
 * code takes ~0.2–0.5; the fallback hundreds) every later tile takes the vector kernel ({@link
 * VectorWarmth}, which the other kernels' scalar twins share).
 */
final class SgemmColdStart {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MR = Sgemm.MR;
    private static final int NR = Sgemm.NR;
    /** Between compiled vector code (under 1 ns per vector FMA, even on a loaded machine) and the fallback (100+). */
    static final double WARM_NS_PER_FMA = 5;

    private static final VectorWarmth WARMTH = new VectorWarmth(WARM_NS_PER_FMA);

    private static final ThreadLocal<float[]> SCRATCH = new ThreadLocal<>() {
        @Override
        protected float[] initialValue() {
            return new float[MR * NR + NR];
        }
    };

    private SgemmColdStart() {}

    /** Whether the vector kernel runs compiled by now. */
    static boolean warm() {
        return WARMTH.warm();
    }

    /** Whether this cold tile runs the vector kernel (timed), to heat it for C2 ({@link VectorWarmth#sample}). */
    static boolean sample() {
        return WARMTH.sample();
    }

    /** Records a timed vector-kernel tile of {@code kc} k steps. */
    static void timed(long nanos, int kc) {
        // Any kc from 2 on: a convolution's GEMMs may all have small k, and the JVM must not stay
        // cold for them (nanoTime's ~25 ns keeps a compiled kc = 2 tile near 1 ns per FMA).
        WARMTH.timed(nanos, kc >= 2 ? (long) kc * 2 * MR : 0);
    }

    /**
     * {@link SgemmMicroKernels#kernel8} for any {@code kc} (odd too: the vector path's rank-1 step
     * is the same fma), same arguments, same bits.
     */
    static void kernel8(
            int kc,
            float[] ap,
            int ao,
            MemorySegment b,
            long bo,
            long bRow,
            MemorySegment c,
            long co,
            long cRow,
            boolean acc,
            MemorySegment bias,
            long biasOff) {
        float[] t = SCRATCH.get();
        int brow = MR * NR;
        for (int r = 0; r < MR; r++) {
            if (acc) {
                MemorySegment.copy(c, F32, co + r * cRow, t, r * NR, NR);
            } else if (bias != null) {
                MemorySegment.copy(bias, F32, biasOff, t, r * NR, NR);
            } else {
                java.util.Arrays.fill(t, r * NR, (r + 1) * NR, 0f);
            }
        }
        for (int kk = 0; kk < kc; kk++) {
            MemorySegment.copy(b, F32, bo + kk * bRow, t, brow, NR);
            for (int r = 0; r < MR; r++) {
                float x = ap[ao + kk * MR + r];
                int row = r * NR;
                for (int j = 0; j < NR; j++) {
                    t[row + j] = Math.fma(t[brow + j], x, t[row + j]);
                }
            }
        }
        for (int r = 0; r < MR; r++) {
            MemorySegment.copy(t, r * NR, c, F32, co + r * cRow, NR);
        }
    }
}
