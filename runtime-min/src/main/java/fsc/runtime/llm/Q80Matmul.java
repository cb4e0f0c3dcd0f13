package fsc.runtime.llm;

import fsc.runtime.Parallelism;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.quant.GgmlType;
import fsc.runtime.quant.Q80;
import fsc.runtime.quant.Q80Dot;
import fsc.runtime.quant.Q80MatVec;
import fsc.runtime.x86.Q80Kernels;
import java.lang.foreign.MemorySegment;

/**
 * {@code qmatmul} with {@code activations = "q8_0"}: Q4_0/Q8_0 weights as llama.cpp's CPU backend
 * computes them. Each of the step's activation rows is quantized to {@link Q80} once, then every
 * weight row is dotted with them in integers ({@link Q80MatVec}): a decode step's one row against
 * each thread's range of weight rows; a prefill step's rows eight at a time against a
 * cache-resident chunk of weight rows, so each weight block is read from memory once per step and
 * unpacked once per eight tokens. Rows are split between threads, never a row's reduction. The
 * same bits on every path (one token or eight, native or Java).
 *
 * <p>Kept apart from {@link QuantMatmul} (the f32 and Q8_K paths): the two modes share only the
 * parallel split.
 */
final class Q80Matmul {
    /** Weight rows a prefill task streams through the kernel for each group of tokens (≤ 200 KB of Q4_0/Q8_0). */
    private static final int PREFILL_ROW_BLOCK = 64;

    private Q80Matmul() {}

    static void matmul(
            Parallelism par, GgmlType type, MemorySegment w, MemorySegment x, MemorySegment y, int rows, int k, int n) {
        if (!Q80Dot.pairsWith(type)) {
            throw new RuntimeFailure("qmatmul: Q8_0 activations need Q4_0 or Q8_0 weights, this one is " + type);
        }
        Task task = TASK.get();
        // Decode reuses this thread's quantized rows of each shape; a prefill step's rows are new and
        // quantized by the team, rows split between threads (each row's blocks as one thread would).
        Q80 xq;
        if (rows < QuantMatmul.PREFILL_ROWS) {
            xq = Q80.quantize(x, 0, rows, k, task.reusable(rows, k));
        } else {
            xq = Q80.shaped(rows, k, null);
            Quantize quantize = QUANTIZE.get().bind(x, xq);
            try {
                par.forChunks(0, rows, par.chunkFor(rows, 1, QuantMatmul.CHUNKS_PER_THREAD), quantize);
            } finally {
                quantize.unbind();
            }
        }
        task.bind(type, w, xq, y, n, rows < QuantMatmul.PREFILL_ROWS);
        try {
            par.forChunks(0, n, par.chunkFor(n, 16, QuantMatmul.CHUNKS_PER_THREAD), task);
        } finally {
            task.unbind();
        }
    }

    /** The loop body over a range of activation rows to quantize; each thread's block scratch is its own. */
    private static final class Quantize implements Parallelism.IntRangeBody {
        private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[Q80.BLOCK]);

        private MemorySegment x;
        private Q80 xq;

        Quantize bind(MemorySegment x, Q80 xq) {
            this.x = x;
            this.xq = xq;
            return this;
        }

        void unbind() {
            x = null;
            xq = null;
        }

        @Override
        public void run(int from, int to) {
            xq.quantizeRows(x, 0, from, to, SCRATCH.get());
        }
    }

    /** The loop body over a range of weight rows, reused call after call (a token allocates nothing). */
    private static final class Task implements Parallelism.IntRangeBody {
        /** One per decode activation shape (a layer's widths), reused call after call. */
        private final java.util.ArrayList<Q80> quantized = new java.util.ArrayList<>();

        private GgmlType type;
        private MemorySegment w;
        private MemorySegment y;
        private Q80 xq;
        private long rowBytes;
        private int n;

        Q80 reusable(int rows, int k) {
            for (int i = 0; i < quantized.size(); i++) {
                Q80 q = quantized.get(i);
                if (q.k() == k && q.rows() == rows) {
                    return q;
                }
            }
            return null;
        }

        void bind(GgmlType type, MemorySegment w, Q80 xq, MemorySegment y, int n, boolean keep) {
            if (keep && reusable(xq.rows(), xq.k()) != xq) {
                quantized.add(xq);
            }
            this.type = type;
            this.w = w;
            this.xq = xq;
            this.y = y;
            this.rowBytes = type.bytesFor(xq.k());
            this.n = n;
        }

        void unbind() {
            w = null;
            y = null;
            xq = null;
        }

        @Override
        public void run(int from, int to) {
            int tokens = xq.rows();
            long yStride = 4L * n;
            if (tokens == 1) {
                Q80MatVec.rows(type, w, rowBytes, xq, 0, 1, y, 0, yStride, from, to);
                return;
            }
            for (int j = from; j < to; j += PREFILL_ROW_BLOCK) {
                int end = Math.min(to, j + PREFILL_ROW_BLOCK);
                for (int t = 0; t < tokens; t += Q80Kernels.MAX_TOKENS) {
                    int count = Math.min(Q80Kernels.MAX_TOKENS, tokens - t);
                    Q80MatVec.rows(type, w, rowBytes, xq, t, count, y, t * yStride, yStride, j, end);
                }
            }
        }
    }

    private static final ThreadLocal<Task> TASK = ThreadLocal.withInitial(Task::new);
    private static final ThreadLocal<Quantize> QUANTIZE = ThreadLocal.withInitial(Quantize::new);
}
