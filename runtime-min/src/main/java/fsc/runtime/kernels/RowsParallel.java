package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;

/**
 * Row kernels of {@link FloatMath} (layer norm, softmax) split into row blocks over a {@link
 * Parallelism} team: rows are independent, so each block runs the one-thread kernel on its own rows
 * and the result is bit-identical to one thread. A tensor of fewer than {@link #MIN_PARALLEL}
 * elements runs on the calling thread, where handing out blocks would cost more than the rows. The
 * task holding a call's arguments is reused per calling thread, so a call allocates nothing.
 */
public final class RowsParallel {
    /** Elements below which a call stays on one thread (a block then takes a few microseconds). */
    static final long MIN_PARALLEL = 16 * 1024;

    /**
     * Row blocks per thread, claimed as threads get to them ({@link Parallelism#forChunks}): a thread
     * that starts late (woken from park) or loses its core costs the others a block, not half the rows.
     */
    static final int CHUNKS_PER_THREAD = 4;

    private static final ThreadLocal<LayerNorm> LAYER_NORM = new ThreadLocal<>() {
        @Override
        protected LayerNorm initialValue() {
            return new LayerNorm();
        }
    };
    private static final ThreadLocal<Softmax> SOFTMAX = new ThreadLocal<>() {
        @Override
        protected Softmax initialValue() {
            return new Softmax();
        }
    };
    private static final ThreadLocal<RmsNormTask> RMS_NORM = new ThreadLocal<>() {
        @Override
        protected RmsNormTask initialValue() {
            return new RmsNormTask();
        }
    };

    private RowsParallel() {}

    /** {@link FloatMath#layerNormRows} over row blocks of {@code par}; {@code par} may be null. */
    public static void layerNormRows(
            MemorySegment x,
            long xOff,
            MemorySegment out,
            long outOff,
            int rows,
            int n,
            MemorySegment gamma,
            long gOff,
            MemorySegment beta,
            long bOff,
            float eps,
            Parallelism par) {
        if (par == null || par.threads() == 1 || (long) rows * n < MIN_PARALLEL) {
            FloatMath.layerNormRows(x, xOff, out, outOff, rows, n, gamma, gOff, beta, bOff, eps);
            return;
        }
        LayerNorm t = LAYER_NORM.get();
        t.x = x;
        t.xOff = xOff;
        t.out = out;
        t.outOff = outOff;
        t.n = n;
        t.gamma = gamma;
        t.gOff = gOff;
        t.beta = beta;
        t.bOff = bOff;
        t.eps = eps;
        par.forChunks(0, rows, par.chunkFor(rows, 1, CHUNKS_PER_THREAD), t);
        t.x = t.out = t.gamma = t.beta = null; // do not keep the caller's buffers reachable
    }

    /** {@link RmsNorm#rows} over row blocks of {@code par}; {@code par} may be null. */
    public static void rmsNormRows(
            MemorySegment x, MemorySegment out, int rows, int n, MemorySegment scale, float eps, Parallelism par) {
        if (par == null || par.threads() == 1 || (long) rows * n < MIN_PARALLEL) {
            RmsNorm.rows(x, 0L, out, 0L, 0, rows, n, scale, 0L, eps);
            return;
        }
        RmsNormTask t = RMS_NORM.get();
        t.x = x;
        t.out = out;
        t.n = n;
        t.scale = scale;
        t.eps = eps;
        par.forChunks(0, rows, par.chunkFor(rows, 1, CHUNKS_PER_THREAD), t);
        t.x = t.out = t.scale = null; // do not keep the caller's buffers reachable
    }

    /** {@link FloatMath#softmaxRows} over row blocks of {@code par}; {@code par} may be null. */
    public static void softmaxRows(MemorySegment buf, long offsetBytes, int rows, int n, Parallelism par) {
        if (par == null || par.threads() == 1 || (long) rows * n < MIN_PARALLEL) {
            FloatMath.softmaxRows(buf, offsetBytes, rows, n);
            return;
        }
        Softmax t = SOFTMAX.get();
        t.buf = buf;
        t.off = offsetBytes;
        t.n = n;
        par.forChunks(0, rows, par.chunkFor(rows, 1, CHUNKS_PER_THREAD), t);
        t.buf = null;
    }

    private static final class LayerNorm implements Parallelism.IntRangeBody {
        MemorySegment x;
        long xOff;
        MemorySegment out;
        long outOff;
        int n;
        MemorySegment gamma;
        long gOff;
        MemorySegment beta;
        long bOff;
        float eps;

        @Override
        public void run(int from, int to) {
            long row = (long) from * n * Float.BYTES;
            FloatMath.layerNormRows(x, xOff + row, out, outOff + row, to - from, n, gamma, gOff, beta, bOff, eps);
        }
    }

    private static final class RmsNormTask implements Parallelism.IntRangeBody {
        MemorySegment x;
        MemorySegment out;
        int n;
        MemorySegment scale;
        float eps;

        @Override
        public void run(int from, int to) {
            RmsNorm.rows(x, 0L, out, 0L, from, to, n, scale, 0L, eps);
        }
    }

    private static final class Softmax implements Parallelism.IntRangeBody {
        MemorySegment buf;
        long off;
        int n;

        @Override
        public void run(int from, int to) {
            FloatMath.softmaxRows(buf, off + (long) from * n * Float.BYTES, to - from, n);
        }
    }
}
