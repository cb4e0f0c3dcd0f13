package fsc.runtime.llm;

import static fsc.runtime.llm.LlmKernels.F32;

import fsc.runtime.Parallelism;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.quant.GgmlType;
import fsc.runtime.quant.Q8K;
import fsc.runtime.quant.Q8KDot;
import fsc.runtime.quant.Q8KGemmActivations;
import fsc.runtime.quant.Q8KMatVec;
import fsc.runtime.quant.Q8KPanelGemm;
import fsc.runtime.quant.Q8KUnpackedRow;
import fsc.runtime.quant.QuantDotRows;
import fsc.runtime.quant.QuantMatVec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * {@code qmatmul}: activations times a weight matrix in its GGUF layout, by the path that suits the
 * step's row count: a matvec on the packed blocks per token (decode), one pass over each packed row
 * for a small batch of tokens ({@link QuantDotRows}), a register-blocked GEMM on dequantized tiles
 * (prefill, {@link PrefillGemm}); or, in llama.cpp's numerics, integer dot products with {@link Q8K}
 * activations. Rows are split between threads, never a row's reduction.
 */
final class QuantMatmul {
    /** Weight rows per parallel chunk: enough work per task that scheduling costs nothing. */
    private static final int ROW_GRAIN = 16;

    /**
     * Chunks per thread of a matmul's rows, claimed dynamically ({@link Parallelism#forChunks}): a
     * thread that starts late (woken from park, or its core taken by the JIT) then costs the others a
     * chunk, not half the matmul.
     */
    static final int CHUNKS_PER_THREAD = 4;

    /**
     * From this many tokens in a step, qmatmul on a type without a {@link QuantDotRows} kernel (and
     * {@link #q8kActivations}) unpacks each weight row once and reuses it.
     */
    static final int PREFILL_ROWS = 4;

    /**
     * Below this many tokens a step with a {@link QuantDotRows} kernel keeps the weights packed:
     * unpacking a block once for every token costs less than dequantizing whole rows for SGEMM.
     */
    static final int BATCHED_DECODE_ROWS = Integer.getInteger("fsc.llm.batchedDecodeRows", 24);

    private QuantMatmul() {}

    /**
     * {@code y[t, j] = dot(w row j, x row t)} for {@code rows} activations of {@code k} floats and
     * {@code n} weight rows. The loop runs weight row outermost so a row is read from memory once per
     * step, however many tokens the step holds (prefill reuses it from cache).
     */
    static void f32Activations(
            Parallelism par, GgmlType type, MemorySegment w, MemorySegment x, MemorySegment y, int rows, int k, int n) {
        long rowBytes = type.bytesFor(k);
        if (rows > 1 && rows < BATCHED_DECODE_ROWS && QuantDotRows.supports(type)) {
            // Decode of a batch of sequences: each packed block is unpacked once for all of them.
            par.forRange(0, n, ROW_GRAIN, (from, to) -> {
                float[] out = new float[QuantDotRows.outLength(rows)];
                for (int j = from; j < to; j++) {
                    QuantDotRows.dots(type, w, j * rowBytes, x, 0L, 4L * k, rows, k, out);
                    for (int t = 0; t < rows; t++) {
                        y.set(F32, 4L * ((long) t * n + j), out[t]);
                    }
                }
            });
            return;
        }
        if (rows < PREFILL_ROWS) {
            // Decode: bandwidth-bound, so the dot products read the packed blocks directly, a range
            // of weight rows per worker in one kernel call (QuantMatVec). The body is this thread's
            // reusable task, so a token allocates nothing.
            MatVecTask task = MATVEC.get();
            int chunk = par.chunkFor(n, ROW_GRAIN, CHUNKS_PER_THREAD);
            for (int t = 0; t < rows; t++) {
                task.bind(type, w, x, 4L * t * k, k, y, (long) t * n);
                par.forChunks(0, n, chunk, task);
            }
            task.unbind();
            return;
        }
        // Prefill: a register-blocked GEMM on weight tiles dequantized once each (PrefillGemm).
        PrefillGemm.matmul(par, type, w, x, y, rows, k, n);
    }

    /** The decode matmul's loop body: one activation row against a range of weight rows. */
    private static final class MatVecTask implements Parallelism.IntRangeBody {
        private float[] x = new float[0];
        /**
         * {@link #x}'s values again, in native memory, for the kernels that read the activation
         * through a segment (the K-quants). Not a view of the float[]: C2 does not intrinsify
         * {@code FloatVector.fromMemorySegment} on a heap segment over a float[], so every load ran
         * the Vector API's Java fallback (JFR: 53% of a Q4_K_M decode step in
         * {@code loadFromMemorySegmentScopedInternal}).
         */
        private MemorySegment xView = MemorySegment.NULL;

        private GgmlType type;
        private MemorySegment w;
        private MemorySegment y;
        private long yOffset;
        private int k;

        /** Copies the activation row at byte {@code xOffset} of {@code xs} to the heap once per matmul. */
        void bind(GgmlType type, MemorySegment w, MemorySegment xs, long xOffset, int k, MemorySegment y, long yRow) {
            if (x.length < k) {
                x = new float[k];
                xView = Arena.ofAuto().allocate(4L * k, 64);
            }
            MemorySegment.copy(xs, F32, xOffset, x, 0, k);
            MemorySegment.copy(xs, xOffset, xView, 0, 4L * k);
            this.type = type;
            this.w = w;
            this.k = k;
            this.y = y;
            this.yOffset = 4L * yRow;
        }

        /** Drops the segments so a finished step's arena is not kept reachable. */
        void unbind() {
            w = null;
            y = null;
        }

        @Override
        public void run(int from, int to) {
            QuantMatVec.rows(type, w, x, xView, k, y, yOffset, from, to);
        }
    }

    private static final ThreadLocal<MatVecTask> MATVEC = ThreadLocal.withInitial(MatVecTask::new);

    /**
     * {@link #f32Activations} as llama.cpp's CPU backend computes it for K-quant weights: each of the {@code
     * rows} activation rows is quantized to {@link Q8K} once, then every weight row is dotted with
     * it in integers: for decode {@link Q8KMatVec} (machine code for Q4_K/Q6_K where the CPU has
     * AVX-512 VNNI, else {@link Q8KDot}); from {@link #PREFILL_ROWS} rows the panel GEMM {@link
     * Q8KPanelGemm} (machine code), else each weight row unpacked once ({@link Q8KUnpackedRow}). Every
     * path gives {@code Q8KDotReference}'s bits. Used by the llama.cpp numerics mode.
     */
    static void q8kActivations(
            Parallelism par, GgmlType type, MemorySegment w, MemorySegment x, MemorySegment y, int rows, int k, int n) {
        if (!Q8KDot.pairsWith(type)) {
            throw new RuntimeFailure("qmatmul: Q8_K activations need K-quant weights, this one is " + type);
        }
        long rowBytes = type.bytesFor(k);
        if (rows < PREFILL_ROWS) {
            // Decode: this thread's quantized row of this width and its reusable task, so a token
            // allocates nothing.
            Q8KTask task = Q8K_TASK.get();
            task.bind(type, w, Q8K.quantize(x, 0, rows, k, task.reusable(rows, k)), y, rows, n);
            try {
                par.forChunks(0, n, par.chunkFor(n, ROW_GRAIN, CHUNKS_PER_THREAD), task);
            } finally {
                task.unbind();
            }
            return;
        }
        if (Q8KPanelGemm.nativeFor(type, w, y)) {
            // Prefill in machine code: panels of 16 weight rows unpacked once, times every token in
            // runs of 8 (Q8KPanelGemm); the same bits as decode. Panels are split between threads.
            Q8KPrefillTask task = Q8K_PREFILL.get();
            task.bind(type, w, x, rows, k, y, n);
            try {
                // Quantizing the tokens straight into the kernels' layout, split by tokens...
                par.forChunks(0, rows, par.chunkFor(rows, 1, CHUNKS_PER_THREAD), task);
                // ...then the panels, split by weight rows.
                task.quantized = true;
                int panels = (n + Q8KPanelGemm.ROWS - 1) / Q8KPanelGemm.ROWS;
                par.forChunks(0, panels, par.chunkFor(panels, 1, CHUNKS_PER_THREAD), task);
            } finally {
                task.unbind();
            }
            return;
        }
        // Prefill without the kernels (no AVX-512 VNNI, heap segments, Q5_K): unpack each weight row to
        // int8 quants and per-16 scales once, for every token.
        Q8K xq = Q8K.quantize(x, 0, rows, k);
        par.forRange(0, n, ROW_GRAIN, (from, to) -> {
            Q8KUnpackedRow row = new Q8KUnpackedRow(k);
            for (int j = from; j < to; j++) {
                row.unpack(type, w, j * rowBytes);
                for (int t = 0; t < rows; t++) {
                    y.set(F32, 4L * ((long) t * n + j), row.dot(xq, t));
                }
            }
        });
    }

    /** {@link #q8kActivations}'s decode body, with the quantized activations of each width it has seen. */
    private static final class Q8KTask implements Parallelism.IntRangeBody {
        /** One per activation shape (a layer's widths: dim and ffn), reused call after call. */
        private final java.util.ArrayList<Q8K> quantized = new java.util.ArrayList<>();

        /** The bound activation in the layout of the machine-code kernels, rewritten per matmul. */
        private final Q8KMatVec.Prepared prepared = new Q8KMatVec.Prepared();

        private GgmlType type;
        private MemorySegment w;
        private MemorySegment y;
        private long rowBytes;
        private int rows;
        private int n;

        Q8K reusable(int rows, int k) {
            for (int i = 0; i < quantized.size(); i++) {
                Q8K q = quantized.get(i);
                if (q.k() == k && q.rows() == rows) {
                    return q;
                }
            }
            return null;
        }

        void bind(GgmlType type, MemorySegment w, Q8K xq, MemorySegment y, int rows, int n) {
            if (reusable(rows, xq.k()) != xq) {
                quantized.add(xq);
            }
            this.type = type;
            this.w = w;
            prepared.prepare(xq);
            this.y = y;
            this.rowBytes = type.bytesFor(xq.k());
            this.rows = rows;
            this.n = n;
        }

        void unbind() {
            w = null;
            y = null;
        }

        @Override
        public void run(int from, int to) {
            // A range of weight rows per call: machine code for Q4_K and Q6_K where it runs.
            for (int t = 0; t < rows; t++) {
                Q8KMatVec.rows(type, w, rowBytes, prepared, t, y, 4L * t * n, from, to);
            }
        }
    }

    private static final ThreadLocal<Q8KTask> Q8K_TASK = ThreadLocal.withInitial(Q8KTask::new);

    /**
     * {@link #q8kActivations}'s prefill body, in two phases: quantize a range of tokens into the
     * kernels' layout, then (once {@link #quantized}) a range of weight-row panels against every token.
     */
    private static final class Q8KPrefillTask implements Parallelism.IntRangeBody {
        /** The bound activation in the kernels' layout, rewritten per matmul, read by every thread. */
        private final Q8KGemmActivations activations = new Q8KGemmActivations();

        private GgmlType type;
        private MemorySegment w;
        private MemorySegment x;
        private MemorySegment y;
        private int n;
        boolean quantized;

        void bind(GgmlType type, MemorySegment w, MemorySegment x, int rows, int k, MemorySegment y, int n) {
            this.type = type;
            this.w = w;
            this.x = x;
            activations.reserve(rows, k);
            this.y = y;
            this.n = n;
            this.quantized = false;
        }

        void unbind() {
            w = null;
            x = null;
            y = null;
        }

        @Override
        public void run(int from, int to) {
            if (!quantized) {
                activations.quantize(x, 0, from, to);
                return;
            }
            Q8KPanelGemm.Scratch scratch = PANEL_SCRATCH.get();
            for (int p = from; p < to; p++) {
                Q8KPanelGemm.panel(type, w, activations, scratch, p * Q8KPanelGemm.ROWS, n, y, 0);
            }
        }
    }

    private static final ThreadLocal<Q8KPrefillTask> Q8K_PREFILL = ThreadLocal.withInitial(Q8KPrefillTask::new);

    /** Each thread's unpacked panel (the team's workers included). */
    private static final ThreadLocal<Q8KPanelGemm.Scratch> PANEL_SCRATCH =
            ThreadLocal.withInitial(Q8KPanelGemm.Scratch::new);
}
