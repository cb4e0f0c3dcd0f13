package fsc.runtime.llm;

import fsc.runtime.Parallelism;
import fsc.runtime.kernels.NativeTile;
import fsc.runtime.kernels.VectorWarmth;
import fsc.runtime.quant.GgmlType;
import fsc.runtime.quant.RowDequantizer;
import fsc.runtime.x86.FmaGemmKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The prefill matmul {@code y[t, j] = dot(W row j, x row t)} for a step of many tokens, on weights in
 * their GGUF layout: a register-blocked GEMM whose A operand is the weight, dequantized once per
 * tile, and whose B operand is the step's activations, packed once per matmul.
 *
 * <ul>
 *   <li>Activations: packed once per call into heap panels of {@link #NR} tokens, {@code [k][NR]}
 *       each (tokens past the step's count are zero), so the micro-kernel reads two vectors of
 *       tokens per k.
 *   <li>Weights: a worker takes {@link #RB} rows at a time (from row chunks claimed dynamically); per K block of {@link #KC} (a whole
 *       number of every block size, 256 for the K-quants) it dequantizes those rows, row-major, into
 *       a 32 KB heap tile ({@link RowDequantizer}: vector code for Q4_0, Q8_0, Q4_K, Q6_K), which the
 *       micro-kernel reads with 8 broadcasts per k at 8 constant row offsets. No second packing pass:
 *       SGEMM's own packing of the dequantized rows was ~18% of a prefill profile.
 *   <li>Micro-kernel {@code f32_gemm_8x2v}: 8 weight rows × 2 vectors of tokens, 16 accumulators
 *       that stay in registers for a whole K block and continue the running sums stored in the
 *       worker's output tile ({@code [RB][tokens]}, L1), so every {@code y[t, j]} is one FMA chain in
 *       k order. That order depends on nothing but k: not on the step's token count, the token's
 *       panel, the row tile or the thread count, so prefill is batch invariant.
 * </ul>
 *
 * <p>Loop order (outer to inner): row tiles of {@link #RB} (parallel), K blocks, token panels, 8-row
 * micro tiles. A token panel's K block (32 KB) is read from L2 once per row tile and reused from L1 by
 * its four micro tiles; the weights are read once in all.
 */
final class PrefillGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    /** Tokens per packed panel: two vectors. */
    static final int NR = 2 * VL;
    /** Weight rows per micro tile. */
    static final int MR = 8;
    /** Weight rows per worker tile: four micro tiles share each panel of tokens while it is in L1. */
    static final int RB = 32;
    /** K per dequantized block: a multiple of 32 (Q4_0/Q8_0) and 256 (K-quants). */
    static final int KC = 256;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** {@link #kernel8x2}, warm once a timed tile takes under 5 ns per vector FMA (compiled: under 1). */
    private static final VectorWarmth WARMTH = new VectorWarmth(5);

    /**
     * Whether the micro tiles run as {@link NativeTile}'s machine code ({@code f32_gemm_8x32}, A read
     * in place): the same FMA chains in the same order as {@link #kernel8x2}, so the same bits, and
     * compiled from the first call on. A fresh process's first prompt spent most of its time in this
     * kernel before C2 had it (57 % of a 1.1B Q4_0 decoder's first-token samples).
     */
    static final boolean NATIVE = NativeTile.available() && NR == FmaGemmKernels.NR && MR == FmaGemmKernels.MR;

    private PrefillGemm() {}

    /** Whether {@link #matmul} takes weights of this type with rows of {@code k}. */
    static boolean supports(GgmlType type, int k) {
        return k % type.blockSize() == 0 && KC % type.blockSize() == 0;
    }

    /** Panels of {@link #NR} tokens for {@code rows} tokens. */
    static int panels(int rows) {
        return (rows + NR - 1) / NR;
    }

    /**
     * {@code y[t, j] = dot(w row j, x row t)} for {@code rows} activation rows of {@code k} floats in
     * {@code x} and {@code n} weight rows of {@code type}; {@code y} is {@code [rows, n]}.
     */
    static void matmul(
            Parallelism par, GgmlType type, MemorySegment w, MemorySegment x, MemorySegment y, int rows, int k, int n) {
        matmul(par, type, w, x, y, rows, k, n, NATIVE);
    }

    /** {@link #matmul}, with the micro tiles in machine code when {@code nativeTiles} (tests compare both). */
    static void matmul(
            Parallelism par,
            GgmlType type,
            MemorySegment w,
            MemorySegment x,
            MemorySegment y,
            int rows,
            int k,
            int n,
            boolean nativeTiles) {
        if (!supports(type, k)) {
            throw new IllegalArgumentException("prefill matmul: rows of " + k + " " + type + " values are not whole "
                    + KC + "-element blocks of whole quant blocks");
        }
        Task task = TASK.get();
        task.bind(type, w, x, y, rows, k, n, nativeTiles && NATIVE);
        try {
            // Row tiles claimed a few per thread at a time: a thread that starts late or loses its
            // core for a while then delays the matmul by a chunk, not by half of it.
            par.forChunks(0, n, par.chunkFor(n, RB, QuantMatmul.CHUNKS_PER_THREAD), task);
        } finally {
            task.unbind();
        }
    }

    /**
     * Packs {@code rows} activation rows of {@code k} floats into {@code xp}: panel {@code p} holds
     * {@code xp[p*k*NR + kk*NR + j] = x[p*NR + j, kk]}, zero past {@code rows}.
     */
    static void packActivations(MemorySegment x, int rows, int k, float[] xp, float[] row) {
        int panels = panels(rows);
        for (int t = 0; t < panels * NR; t++) {
            int base = (t / NR) * k * NR + t % NR;
            if (t < rows) {
                MemorySegment.copy(x, F32, 4L * t * k, row, 0, k);
                for (int kk = 0; kk < k; kk++) {
                    xp[base + kk * NR] = row[kk];
                }
            } else {
                for (int kk = 0; kk < k; kk++) {
                    xp[base + kk * NR] = 0f;
                }
            }
        }
    }

    /**
     * {@code c[r][0..NR) += sum over kk < kc of a[r*lda + kk] * b[kk*NR + 0..NR)} for 8 rows {@code r}
     * (offsets {@code ao}, {@code bo}, {@code co}; {@code c} rows {@code ldc} apart), one FMA chain
     * per element in {@code kk} order.
     */
    static void kernel8x2(int kc, float[] a, int ao, int lda, float[] b, int bo, float[] c, int co, int ldc) {
        int a0 = ao, a1 = ao + lda, a2 = a1 + lda, a3 = a2 + lda;
        int a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        int r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc, r6 = r5 + ldc, r7 = r6 + ldc;
        FloatVector c00 = FloatVector.fromArray(S, c, co), c01 = FloatVector.fromArray(S, c, co + VL);
        FloatVector c10 = FloatVector.fromArray(S, c, r1), c11 = FloatVector.fromArray(S, c, r1 + VL);
        FloatVector c20 = FloatVector.fromArray(S, c, r2), c21 = FloatVector.fromArray(S, c, r2 + VL);
        FloatVector c30 = FloatVector.fromArray(S, c, r3), c31 = FloatVector.fromArray(S, c, r3 + VL);
        FloatVector c40 = FloatVector.fromArray(S, c, r4), c41 = FloatVector.fromArray(S, c, r4 + VL);
        FloatVector c50 = FloatVector.fromArray(S, c, r5), c51 = FloatVector.fromArray(S, c, r5 + VL);
        FloatVector c60 = FloatVector.fromArray(S, c, r6), c61 = FloatVector.fromArray(S, c, r6 + VL);
        FloatVector c70 = FloatVector.fromArray(S, c, r7), c71 = FloatVector.fromArray(S, c, r7 + VL);
        for (int kk = 0; kk < kc; kk++) {
            int bk = bo + kk * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + VL);
            FloatVector v = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = b0.fma(v, c00);
            c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = b0.fma(v, c10);
            c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = b0.fma(v, c20);
            c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = b0.fma(v, c30);
            c31 = b1.fma(v, c31);
            v = FloatVector.broadcast(S, a[a4 + kk]);
            c40 = b0.fma(v, c40);
            c41 = b1.fma(v, c41);
            v = FloatVector.broadcast(S, a[a5 + kk]);
            c50 = b0.fma(v, c50);
            c51 = b1.fma(v, c51);
            v = FloatVector.broadcast(S, a[a6 + kk]);
            c60 = b0.fma(v, c60);
            c61 = b1.fma(v, c61);
            v = FloatVector.broadcast(S, a[a7 + kk]);
            c70 = b0.fma(v, c70);
            c71 = b1.fma(v, c71);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + VL);
        c10.intoArray(c, r1);
        c11.intoArray(c, r1 + VL);
        c20.intoArray(c, r2);
        c21.intoArray(c, r2 + VL);
        c30.intoArray(c, r3);
        c31.intoArray(c, r3 + VL);
        c40.intoArray(c, r4);
        c41.intoArray(c, r4 + VL);
        c50.intoArray(c, r5);
        c51.intoArray(c, r5 + VL);
        c60.intoArray(c, r6);
        c61.intoArray(c, r6 + VL);
        c70.intoArray(c, r7);
        c71.intoArray(c, r7 + VL);
    }

    /**
     * {@link #kernel8x2}, or until C2 has compiled it ({@link VectorWarmth}: a fresh JVM's first
     * prompt, where the Vector API's fallback made this kernel most of the first token's time),
     * {@link #kernel8x2Cold}: the same FMA chains, so the same bits.
     */
    private static void tile(int kc, float[] a, int ao, int lda, float[] b, int bo, float[] c, int co, int ldc) {
        if (WARMTH.warm()) {
            kernel8x2(kc, a, ao, lda, b, bo, c, co, ldc);
        } else if (!WARMTH.sample()) {
            kernel8x2Cold(kc, a, ao, lda, b, bo, c, co, ldc);
        } else {
            long start = System.nanoTime();
            kernel8x2(kc, a, ao, lda, b, bo, c, co, ldc);
            WARMTH.timed(System.nanoTime() - start, 2L * MR * kc);
        }
    }

    /** {@link #kernel8x2} in plain loops: each element's FMA chain over {@code kk} in order. */
    static void kernel8x2Cold(int kc, float[] a, int ao, int lda, float[] b, int bo, float[] c, int co, int ldc) {
        for (int r = 0; r < MR; r++) {
            int ar = ao + r * lda;
            int cr = co + r * ldc;
            for (int x = 0; x < NR; x++) {
                float acc = c[cr + x];
                for (int kk = 0; kk < kc; kk++) {
                    acc = Math.fma(b[bo + kk * NR + x], a[ar + kk], acc);
                }
                c[cr + x] = acc;
            }
        }
    }

    /**
     * The parallel body, reused per thread of the caller: holds the packed activations (written by
     * the calling thread before the loop is published, so workers see them) and finds each worker's
     * tiles in that worker's {@link Scratch}.
     */
    private static final class Task implements Parallelism.IntRangeBody {
        private float[] xp = new float[0];
        private float[] xRow = new float[0];
        /** {@link #xp} in native memory, for the machine-code tiles. */
        private MemorySegment xpNative = MemorySegment.NULL;

        private boolean nativeTiles;
        private GgmlType type;
        private MemorySegment w;
        private MemorySegment y;
        private int rows;
        private int k;
        private int n;

        void bind(
                GgmlType type,
                MemorySegment w,
                MemorySegment x,
                MemorySegment y,
                int rows,
                int k,
                int n,
                boolean nativeTiles) {
            int packed = panels(rows) * NR * k;
            if (xp.length < packed) {
                xp = new float[packed];
            }
            if (xRow.length < k) {
                xRow = new float[k];
            }
            packActivations(x, rows, k, xp, xRow);
            if (nativeTiles) {
                if (xpNative.byteSize() < 4L * packed) {
                    xpNative = Arena.ofAuto().allocate(4L * packed, 64);
                }
                MemorySegment.copy(xp, 0, xpNative, F32, 0, packed);
            }
            this.nativeTiles = nativeTiles;
            this.type = type;
            this.w = w;
            this.y = y;
            this.rows = rows;
            this.k = k;
            this.n = n;
        }

        /** Drops the segments so a finished step's arena is not kept reachable. */
        void unbind() {
            w = null;
            y = null;
        }

        @Override
        public void run(int from, int to) {
            int panels = panels(rows);
            int ldc = panels * NR;
            Scratch s = SCRATCH.get().fit(ldc, nativeTiles);
            float[] a = s.a;
            long rowBytes = type.bytesFor(k);
            long blockBytes = type.bytesFor(KC);
            for (int j0 = from; j0 < to; j0 += RB) {
                int rn = Math.min(RB, to - j0);
                int tiles = (rn + MR - 1) / MR;
                if (!nativeTiles) {
                    Arrays.fill(s.c, 0, RB * ldc, 0f); // the machine code starts the first K block from zero
                }
                for (int k0 = 0, kb = 0; k0 < k; k0 += KC, kb++) {
                    int kc = Math.min(KC, k - k0);
                    for (int r = 0; r < rn; r++) {
                        RowDequantizer.dequantize(type, w, (j0 + r) * rowBytes + kb * blockBytes, kc, a, r * KC);
                    }
                    // Rows past n in the last micro tile: zeros, their sums are never read.
                    Arrays.fill(a, rn * KC, tiles * MR * KC, 0f);
                    if (nativeTiles) {
                        MemorySegment.copy(a, 0, s.aNative, F32, 0, tiles * MR * KC);
                    }
                    for (int p = 0; p < panels; p++) {
                        if (nativeTiles) {
                            nativePanel(s, p, panels, k0, kc, tiles, ldc);
                        } else {
                            int bo = p * k * NR + k0 * NR;
                            for (int m = 0; m < tiles; m++) {
                                tile(kc, a, m * MR * KC, KC, xp, bo, s.c, m * MR * ldc + p * NR, ldc);
                            }
                        }
                    }
                }
                for (int t = 0; t < rows; t++) {
                    long yRow = 4L * ((long) t * n + j0);
                    for (int r = 0; r < rn; r++) {
                        float v = nativeTiles ? s.cNative.getAtIndex(F32, (long) r * ldc + t) : s.c[r * ldc + t];
                        y.set(F32, yRow + 4L * r, v);
                    }
                }
            }
        }

        /**
         * Token panel {@code p}'s {@code tiles} micro tiles for the K block at {@code k0} in machine
         * code, in one call: A is the block's dequantized rows in this thread's native copy, the output
         * tile is native too; from zero in the first K block and continuing the running sums after it
         * (so every output is still one FMA chain in k order). The next panel is prefetched.
         */
        private void nativePanel(Scratch s, int p, int panels, int k0, int kc, int tiles, int ldc) {
            NativeTile.runTiles(
                    MR,
                    tiles,
                    s.aNative.address(),
                    4L * KC,
                    kc,
                    xpNative,
                    4L * ((long) p * k * NR + (long) k0 * NR),
                    4L * NR,
                    p + 1 < panels ? 4L * k * NR : 0,
                    s.cNative,
                    4L * p * NR,
                    4L * ldc,
                    k0 > 0,
                    null,
                    0,
                    false,
                    1,
                    0L);
        }
    }

    private static final ThreadLocal<Task> TASK = ThreadLocal.withInitial(Task::new);

    /** A worker's dequantized weight tile {@code [RB][KC]} and output tile {@code [RB][tokens]}. */
    private static final class Scratch {
        final float[] a = new float[RB * KC];
        float[] c = new float[0];
        /** The machine-code tiles' copies of {@link #a} and of the output tile. */
        MemorySegment aNative = MemorySegment.NULL;

        MemorySegment cNative = MemorySegment.NULL;

        Scratch fit(int ldc, boolean nativeTiles) {
            if (nativeTiles) {
                if (aNative.byteSize() == 0) {
                    aNative = Arena.ofAuto().allocate(4L * RB * KC, 64);
                }
                if (cNative.byteSize() < 4L * RB * ldc) {
                    cNative = Arena.ofAuto().allocate(4L * RB * ldc, 64);
                }
            } else if (c.length < RB * ldc) {
                c = new float[RB * ldc];
            }
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
}
