package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM, {@code C[M,N] (+)= alpha * A[M,K] · B[K,N]}, on {@link MemorySegment}s,
 * blocked as in Goto and van de Geijn, "Anatomy of High-Performance Matrix Multiplication" (2008).
 *
 * <p>Micro-kernel {@code f32_gemm_8x2v}: 8 rows of A times a panel of {@link #panelWidth()} = 2
 * vectors of columns of B, 16 vector accumulators updated with FMA (both in {@link
 * SgemmMicroKernels}). Each block of A ({@value #MC} rows × {@value #KC} k) is packed into a
 * per-thread heap array first, 8 rows interleaved per k, so the kernel reads A through one index
 * linear in k (6 in-place row pointers with their own bounds checks ran a fifth slower, and 8 of
 * them made C2 box vectors). Tiles cut short by M or by the column tail compute into a small
 * full-size tile whose valid part is copied to C (the last panel of B is zero-padded). Loops, outer
 * to inner: K blocks of {@value #KC} (few, so C is stored and reloaded rarely), row blocks of
 * {@value #MC} (the packed A block, 512 KB, fits L2), column panels, 8-row micro tiles.
 *
 * <p>Where every operand is native memory and this CPU has AVX-512, the machine-code tiles of
 * {@link NativeTile#runTiles} take all of a panel's tiles in one call instead: they read a row-major
 * A in place (no packing: alpha 1 makes the packed block a plain copy), prefetch the next panel,
 * and end an exact-GELU linear layer on the tile while it is in L1. Each output is the same FMA
 * chain in k order either way, so the two paths give the same bits (docs/PERFORMANCE-FP32.md).
 *
 * <p>Packed B ({@link #packB}) stores each panel's {@code K × panelWidth} floats contiguously, row by
 * row, so the kernel streams one panel linearly. The panel width depends on the CPU's vector size:
 * the compiler's {@code layout} pass packs weights for the compiling CPU, and a model run elsewhere
 * converts them once at load ({@link #repack}).
 *
 * <p>Offsets are in bytes; leading dimensions in elements; all data little-endian f32. With a
 * {@link Parallelism} of more than one thread, the segments must be accessible from its workers
 * (global, auto or shared arenas; not confined ones).
 */
public final class Sgemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    static final int NR = 2 * VL;
    static final int MR = 8;
    /**
     * k per block. 512, not 256: a block boundary makes every tile store its C and load it again for
     * the next block, and at 8×128 rows MiniLM's FFN-up output (6 MB) no longer stays in L2 between
     * the two blocks K=384 took; one block for K ≤ 512 (and 3 instead of 6 for K=1536) cost 5% less
     * CPU per layer at 1024 rows and no more at 128 ({@code SgemmLayerBench}, docs/PERFORMANCE-FP32.md).
     * A panel's block of B (64 KB) then streams from L2 rather than sitting in L1d.
     */
    static final int KC = 512;

    static final int MC = 256;
    private static final long VB = (long) VL * Float.BYTES;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** Below this many multiply-adds a GEMM runs on the calling thread: dispatch would cost more. */
    private static final long PARALLEL_MIN_MACS = 1L << 18;

    /**
     * Chunks of column panels per thread when a GEMM is split by panels and reads A in place (see
     * {@link #run}). Four: at two threads a 384-column GEMM (12 panels) is 6 chunks of 2 panels.
     */
    static final int PANEL_CHUNKS_PER_THREAD = 4;

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private Sgemm() {}

    /** Columns per packed panel: two vectors of the CPU's preferred float species. */
    public static int panelWidth() {
        return NR;
    }

    /** Bytes {@link #packB} writes for a {@code [k, n]} B. */
    public static long packedBytes(int k, int n) {
        return (long) panels(n) * NR * k * Float.BYTES;
    }

    /**
     * Packs B into column panels for {@link #gemmPacked}. B is {@code [k, n]} row-major, or {@code [n,
     * k]} row-major when {@code srcTransposed} (the layout of ONNX Gemm's {@code transB} and of
     * PyTorch Linear weights). Columns past {@code n} in the last panel are zero.
     */
    public static void packB(
            MemorySegment src, long srcOffset, int k, int n, boolean srcTransposed, MemorySegment dst, long dstOffset) {
        checkSizes(1, n, k);
        pack(src, srcOffset, srcTransposed ? k : n, k, n, srcTransposed, dst, dstOffset, 0, panels(n));
    }

    /**
     * Repacks a B that was packed at compile time into panels of {@code srcPanel} columns (the
     * {@code {panelW}} layout of the {@code layout} pass, for a CPU with other vectors) into this
     * CPU's panels, for {@link #gemmPacked}. {@code dst} needs {@link #packedBytes}{@code (k, n)}.
     * Only a model run on a CPU other than the one it was compiled for pays this, once, at load.
     */
    public static void repack(
            MemorySegment src, long srcOffset, int k, int n, int srcPanel, MemorySegment dst, long dstOffset) {
        checkSizes(1, n, k);
        if (srcPanel <= 0) {
            throw new IllegalArgumentException("source panel width " + srcPanel + " is not positive");
        }
        long panelBytes = (long) k * NR * Float.BYTES;
        for (int p = 0; p < panels(n); p++) {
            long base = dstOffset + p * panelBytes;
            for (int j = 0; j < NR; j++) {
                int col = p * NR + j;
                // Column col of B sits in source panel col / srcPanel at lane col % srcPanel.
                long s = srcOffset + ((long) (col / srcPanel) * k * srcPanel + col % srcPanel) * Float.BYTES;
                for (int kk = 0; kk < k; kk++) {
                    float v = col < n ? src.get(F32, s + (long) kk * srcPanel * Float.BYTES) : 0f;
                    dst.set(F32, base + ((long) kk * NR + j) * Float.BYTES, v);
                }
            }
        }
    }

    /**
     * {@code C = A · packedB}, or {@code C += A · packedB} when {@code accumulate}. A is {@code [m, k]}
     * with row stride {@code lda}; C is {@code [m, n]} with row stride {@code ldc}.
     */
    public static void gemmPacked(
            int m,
            int n,
            int k,
            MemorySegment a,
            long aOffset,
            long lda,
            MemorySegment packedB,
            long packedOffset,
            MemorySegment c,
            long cOffset,
            long ldc,
            boolean accumulate,
            Parallelism par) {
        gemmPacked(
                m, n, k, a, aOffset, lda, packedB, packedOffset, c, cOffset, ldc, accumulate, GemmEpilogue.NONE, par);
    }

    /**
     * {@code C = act(A · packedB + bias)} (see {@link GemmEpilogue}): the fused GEMM epilogue of a
     * linear layer. The bias is the accumulators' starting value (no pass over C); the activation
     * runs over each panel's block of rows right after its last K block, while it is in cache.
     */
    public static void gemmPacked(
            int m,
            int n,
            int k,
            MemorySegment a,
            long aOffset,
            long lda,
            MemorySegment packedB,
            long packedOffset,
            MemorySegment c,
            long cOffset,
            long ldc,
            boolean accumulate,
            GemmEpilogue epilogue,
            Parallelism par) {
        checkSizes(m, n, k);
        checkLd("lda", lda, k);
        checkLd("ldc", ldc, n);
        if (accumulate && epilogue.activation() != GemmEpilogue.Activation.NONE) {
            throw new IllegalArgumentException("an activation cannot follow an accumulating GEMM");
        }
        Workspace ws = WORKSPACE.get();
        Task t = ws.task;
        t.setA(a, aOffset, lda * Float.BYTES, Float.BYTES);
        t.setPackedB(packedB, packedOffset, k);
        t.setC(m, n, k, c, cOffset, ldc, 1f, accumulate);
        t.setEpilogue(epilogue);
        run(t, par);
    }

    /**
     * {@code C = alpha · op(A) · op(B)} (or {@code +=} when {@code accumulate}) for operands that are
     * not weights, e.g. attention's {@code Q·Kᵀ} ({@code transB}) and {@code P·V}. {@code op(A)} is
     * {@code [m, k]}: A is stored {@code [m, k]} (or {@code [k, m]} when {@code transA}) with row
     * stride {@code lda}; {@code op(B)} is {@code [k, n]}: B is stored {@code [k, n]} (or {@code [n,
     * k]} when {@code transB}) with row stride {@code ldb}. B is packed into a per-thread scratch
     * buffer when it is transposed; otherwise only its partial last panel is.
     */
    public static void gemm(
            int m,
            int n,
            int k,
            MemorySegment a,
            long aOff,
            long lda,
            boolean transA,
            MemorySegment b,
            long bOff,
            long ldb,
            boolean transB,
            MemorySegment c,
            long cOff,
            long ldc,
            float alpha,
            boolean accumulate,
            Parallelism par) {
        checkSizes(m, n, k);
        checkLd("lda", lda, transA ? m : k);
        checkLd("ldb", ldb, transB ? k : n);
        checkLd("ldc", ldc, n);
        Workspace ws = WORKSPACE.get();
        Task t = ws.task;
        if (transA) {
            t.setA(a, aOff, Float.BYTES, lda * Float.BYTES);
        } else {
            t.setA(a, aOff, lda * Float.BYTES, Float.BYTES);
        }
        if (transB) {
            MemorySegment scratch = ws.scratch(packedBytes(k, n));
            pack(b, bOff, ldb, k, n, true, scratch, 0, 0, panels(n));
            t.setPackedB(scratch, 0, k);
        } else {
            int full = n / NR;
            MemorySegment tail = MemorySegment.NULL;
            if (full * NR < n) {
                tail = ws.scratch((long) NR * k * Float.BYTES);
                pack(b, bOff, ldb, k, n, false, tail, 0, full, full + 1);
            }
            t.setDirectB(b, bOff, ldb * Float.BYTES, full, tail);
        }
        t.setC(m, n, k, c, cOff, ldc, alpha, accumulate);
        t.setEpilogue(GemmEpilogue.NONE);
        run(t, par);
    }

    private static void run(Task t, Parallelism par) {
        if (t.m == 0 || t.n == 0) {
            return;
        }
        int panels = panels(t.n);
        long macs = (long) t.m * t.n * Math.max(t.k, 1);
        if (par == null || par.threads() == 1 || macs < PARALLEL_MIN_MACS) {
            t.compute(0, t.m, 0, panels);
        } else if (panels >= par.threads()) {
            t.splitPanels = true;
            if (t.readsAInPlace()) {
                // Several chunks of panels per thread, claimed as threads get to them: a thread that
                // starts late or loses its core then costs the others a chunk, not half the GEMM.
                // Only when A is read in place: each chunk packs its own copy of a packed A.
                par.forChunks(0, panels, par.chunkFor(panels, 1, PANEL_CHUNKS_PER_THREAD), t);
            } else {
                par.forRange(0, panels, 1, t);
            }
        } else {
            t.splitPanels = false;
            par.forRange(0, t.m, MR, t);
        }
    }

    static int panels(int n) {
        return (n + NR - 1) / NR;
    }

    /**
     * Packs panels {@code [p0, p1)} of B; panel {@code p} goes to {@code dstOffset + (p - p0) * k *
     * NR * 4}.
     * A source element {@code (kk, col)} is at {@code src[kk * ld + col]}, or {@code src[col * ld +
     * kk]} when transposed.
     */
    private static void pack(
            MemorySegment src,
            long srcOffset,
            long ld,
            int k,
            int n,
            boolean transposed,
            MemorySegment dst,
            long dstOffset,
            int p0,
            int p1) {
        long panelBytes = (long) k * NR * Float.BYTES;
        for (int p = p0; p < p1; p++) {
            long base = dstOffset + (p - p0) * panelBytes;
            int col0 = p * NR;
            int cols = Math.min(NR, n - col0);
            // Zero the padding columns of a partial panel (a loop, not asSlice().fill(), which
            // would allocate a segment per call).
            for (int kk = 0; cols < NR && kk < k; kk++) {
                for (int j = cols; j < NR; j++) {
                    dst.set(F32, base + ((long) kk * NR + j) * Float.BYTES, 0f);
                }
            }
            if (!transposed) {
                for (int kk = 0; kk < k; kk++) {
                    MemorySegment.copy(
                            src,
                            srcOffset + (kk * ld + col0) * Float.BYTES,
                            dst,
                            base + (long) kk * NR * Float.BYTES,
                            (long) cols * Float.BYTES);
                }
            } else {
                // Read each source row (one column of B) sequentially; the writes stride by NR.
                for (int j = 0; j < cols; j++) {
                    long s = srcOffset + (col0 + j) * ld * Float.BYTES;
                    long d = base + (long) j * Float.BYTES;
                    for (int kk = 0; kk < k; kk++) {
                        dst.set(F32, d + (long) kk * NR * Float.BYTES, src.get(F32, s + (long) kk * Float.BYTES));
                    }
                }
            }
        }
    }

    private static void checkSizes(int m, int n, int k) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative GEMM size m=" + m + " n=" + n + " k=" + k);
        }
    }

    private static void checkLd(String name, long ld, int min) {
        if (ld < Math.max(1, min)) {
            throw new IllegalArgumentException(name + "=" + ld + " is smaller than the row length " + min);
        }
    }

    /**
     * Per-thread state: the reusable task (so a call allocates nothing), the packed A block, one
     * scratch tile for cut-short tiles, and packing scratch for B.
     */
    private static final class Workspace {
        final Task task = new Task();
        final float[] aPack = new float[MC * KC];
        final float[] aRows = new float[MR * KC];
        final int[] aIdx = new int[MR];
        final MemorySegment tile = Arena.ofAuto().allocate((long) MR * NR * Float.BYTES, 64);
        final MemorySegment biasTile = Arena.ofAuto().allocate((long) NR * Float.BYTES, 64);
        /** {@link #aPack}'s block copied to native memory for the machine-code tile ({@link NativeTile}). */
        MemorySegment aNative = MemorySegment.NULL;

        private MemorySegment scratch = MemorySegment.NULL;

        MemorySegment scratch(long bytes) {
            if (scratch.byteSize() < bytes) {
                scratch = Arena.ofAuto().allocate(Math.max(bytes, scratch.byteSize() * 2), 64);
            }
            return scratch;
        }
    }

    /**
     * One GEMM's operands and the blocked loop nest; also the parallel body, splitting either column
     * panels or rows (in multiples of {@link #MR}).
     */
    private static final class Task implements Parallelism.IntRangeBody {
        MemorySegment a;
        long aOff;
        long aRow; // bytes between rows of op(A)
        long aK; // bytes between consecutive k of op(A)
        MemorySegment b;
        long bOff;
        long bRow; // bytes between k rows within a panel
        long bPanel; // bytes between panels
        int mainPanels; // panels read from b; Integer.MAX_VALUE when B is fully packed
        MemorySegment bTail;
        int m;
        int n;
        int k;
        MemorySegment c;
        long cOff;
        long cRow;
        float alpha;
        boolean accumulate;
        boolean splitPanels;
        MemorySegment bias; // null: none
        long biasOff;
        GemmEpilogue.Activation activation = GemmEpilogue.Activation.NONE;

        void setEpilogue(GemmEpilogue e) {
            this.bias = e.bias();
            this.biasOff = e.biasOffset();
            this.activation = e.activation();
        }

        void setA(MemorySegment a, long off, long rowBytes, long kBytes) {
            this.a = a;
            this.aOff = off;
            this.aRow = rowBytes;
            this.aK = kBytes;
        }

        void setPackedB(MemorySegment b, long off, int k) {
            this.b = b;
            this.bOff = off;
            this.bRow = (long) NR * Float.BYTES;
            this.bPanel = (long) NR * k * Float.BYTES;
            this.mainPanels = Integer.MAX_VALUE;
            this.bTail = MemorySegment.NULL;
        }

        void setDirectB(MemorySegment b, long off, long rowBytes, int fullPanels, MemorySegment tail) {
            this.b = b;
            this.bOff = off;
            this.bRow = rowBytes;
            this.bPanel = VB * 2;
            this.mainPanels = fullPanels;
            this.bTail = tail;
        }

        void setC(int m, int n, int k, MemorySegment c, long off, long ldc, float alpha, boolean accumulate) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.c = c;
            this.cOff = off;
            this.cRow = ldc * Float.BYTES;
            this.alpha = alpha;
            this.accumulate = accumulate;
        }

        @Override
        public void run(int from, int to) {
            if (splitPanels) {
                compute(0, m, from, to);
            } else {
                compute(from, to, 0, panels(n));
            }
        }

        /** Whether machine code takes every tile: all operands are native memory. */
        boolean nativeTiles() {
            return NativeTile.applies(b, c, bias) && (bTail == MemorySegment.NULL || bTail.isNative());
        }

        /** Whether the machine-code tiles read a row-major A in place (alpha 1: packing would only copy it). */
        boolean readsAInPlace() {
            return nativeTiles() && alpha == 1f && aK == Float.BYTES && a.isNative();
        }

        void compute(int rowFrom, int rowTo, int panelFrom, int panelTo) {
            if (k == 0) {
                int col0 = panelFrom * NR;
                int cols = Math.min(n, panelTo * NR) - col0;
                if (!accumulate) {
                    for (int i = rowFrom; i < rowTo; i++) {
                        c.asSlice(cOff + i * cRow + (long) col0 * Float.BYTES, (long) cols * Float.BYTES)
                                .fill((byte) 0);
                    }
                }
                epilogue(rowFrom, rowTo, col0, cols, bias, activation);
                return;
            }
            Workspace ws = WORKSPACE.get();
            // Machine code takes every tile when all operands are native memory; it then reads a
            // row-major A in place (alpha 1: packing would only copy it), else a native copy of
            // the packed block.
            boolean fast = nativeTiles();
            boolean inPlace = readsAInPlace();
            if (inPlace) {
                long last = aOff + (rowTo - 1) * aRow + (long) k * Float.BYTES;
                if (rowTo > rowFrom && (aOff + rowFrom * aRow < 0 || last > a.byteSize())) {
                    throw new IndexOutOfBoundsException("A of " + a.byteSize() + " bytes ends before byte " + last);
                }
            }
            for (int k0 = 0; k0 < k; k0 += KC) {
                int kc = Math.min(KC, k - k0);
                boolean acc = accumulate || k0 > 0;
                long aK0 = aOff + k0 * aK;
                for (int i0 = rowFrom; i0 < rowTo; i0 += MC) {
                    int i1 = Math.min(rowTo, i0 + MC);
                    if (!inPlace) {
                        // The row block of A, packed once and then read by every panel from L2.
                        SgemmMicroKernels.packA(a, aK0, aRow, aK, i0, i1, kc, alpha, ws.aPack, ws.aRows, ws.aIdx);
                        if (NativeTile.FMA != null) {
                            ws.aNative = NativeTile.mirror(ws.aPack, (i1 - i0 + MR - 1) / MR * MR * kc, ws.aNative);
                        }
                    }
                    for (int p = panelFrom; p < panelTo; p++) {
                        // Panels before mainPanels come from b (packed, or read in place); the
                        // rest is the zero-padded tail panel packed into scratch.
                        boolean main = p < mainPanels;
                        MemorySegment bs = main ? b : bTail;
                        long stride = main ? bRow : (long) NR * Float.BYTES;
                        long bo = main ? bOff + p * bPanel + k0 * bRow : k0 * stride;
                        int cols = Math.min(NR, n - p * NR);
                        long co = cOff + (long) p * NR * Float.BYTES;
                        // The bias seeds the accumulators of the first K block (an accumulating
                        // GEMM's start from C instead, and take the bias in a pass at the end);
                        // the activation runs over the panel's rows after the last K block,
                        // while they are in L1.
                        MemorySegment addBias = k0 == 0 && !accumulate ? bias : null;
                        long bOffP = biasOff + (long) p * NR * Float.BYTES;
                        boolean last = k0 + kc >= k;
                        // Exact GELU of a full panel runs in the machine-code tile, in L1.
                        boolean nativeGelu = fast && last && cols == NR && activation == GemmEpilogue.Activation.GELU;
                        if (fast) {
                            long pf = main && p + 1 < mainPanels ? bPanel : 0;
                            nativeTiles(
                                    ws,
                                    inPlace,
                                    i0,
                                    i1,
                                    kc,
                                    aK0,
                                    bs,
                                    bo,
                                    stride,
                                    pf,
                                    co,
                                    cols,
                                    acc,
                                    addBias,
                                    bOffP,
                                    nativeGelu);
                        } else {
                            tiles(ws, i0, i1, kc, aK0, bs, bo, stride, co, cols, acc, addBias, bOffP);
                        }
                        if (last
                                && !nativeGelu
                                && (activation != GemmEpilogue.Activation.NONE || accumulate && bias != null)) {
                            epilogue(i0, i1, p * NR, cols, accumulate ? bias : null, activation);
                        }
                    }
                }
            }
        }

        /** Adds the bias row and applies the activation to C's rows [i0, i1), columns [col0, col0 + cols). */
        private void epilogue(int i0, int i1, int col0, int cols, MemorySegment addBias, GemmEpilogue.Activation act) {
            int bound = cols - cols % VL;
            for (int i = i0; i < i1; i++) {
                long row = cOff + i * cRow + (long) col0 * Float.BYTES;
                if (addBias != null || act == GemmEpilogue.Activation.RELU) {
                    boolean relu = act == GemmEpilogue.Activation.RELU;
                    int j = 0;
                    for (; j < bound; j += VL) {
                        long off = row + (long) j * Float.BYTES;
                        FloatVector v = FloatVector.fromMemorySegment(S, c, off, LE);
                        if (addBias != null) {
                            v = v.add(FloatVector.fromMemorySegment(
                                    S, addBias, biasOff + (long) (col0 + j) * Float.BYTES, LE));
                        }
                        if (relu) {
                            v = v.max(0f);
                        }
                        v.intoMemorySegment(c, off, LE);
                    }
                    for (; j < cols; j++) {
                        long off = row + (long) j * Float.BYTES;
                        float v = c.get(F32, off);
                        if (addBias != null) {
                            v += addBias.get(F32, biasOff + (long) (col0 + j) * Float.BYTES);
                        }
                        c.set(F32, off, relu ? Math.max(v, 0f) : v);
                    }
                }
                if (act == GemmEpilogue.Activation.GELU_TANH) {
                    FloatMath.geluTanhInPlace(c, row, cols);
                }
            }
            // GELUs are loop kernels of their own (vectors never cross a call); exact GELU takes
            // the whole block in one call.
            if (act == GemmEpilogue.Activation.GELU) {
                FloatMath.geluRows(c, cOff + i0 * cRow + (long) col0 * Float.BYTES, i1 - i0, cols, cRow);
            }
        }

        /**
         * One 8-row tile: in machine code when every operand is native memory (fast from the first
         * call, no JIT needed); else the Vector API kernel, which takes k in pairs, so an odd last k is
         * a rank-1 update after it, and until it is compiled most tiles take {@link SgemmColdStart}'s
         * scalar loops.
         */
        private void tile8(
                Workspace ws,
                int kc,
                float[] ap,
                int ao,
                MemorySegment bs,
                long bo,
                long stride,
                MemorySegment cs,
                long ci,
                long cr,
                boolean acc,
                MemorySegment bias,
                long biasOff) {
            if (NativeTile.applies(bs, cs, bias)) {
                NativeTile.run(ws.aNative.address() + 4L * ao, kc, bs, bo, stride, cs, ci, cr, acc, bias, biasOff);
                return;
            }
            if (!SgemmColdStart.warm()) {
                if (!SgemmColdStart.sample()) {
                    SgemmColdStart.kernel8(kc, ap, ao, bs, bo, stride, cs, ci, cr, acc, bias, biasOff);
                    return;
                }
                long start = System.nanoTime();
                SgemmMicroKernels.kernel8(kc & ~1, ap, ao, bs, bo, stride, cs, ci, cr, acc, bias, biasOff);
                SgemmColdStart.timed(System.nanoTime() - start, kc & ~1);
                if ((kc & 1) != 0) {
                    SgemmMicroKernels.addRank1(ap, ao + (kc & ~1) * MR, bs, bo + (kc & ~1) * stride, cs, ci, cr);
                }
                return;
            }
            int even = kc & ~1;
            SgemmMicroKernels.kernel8(even, ap, ao, bs, bo, stride, cs, ci, cr, acc, bias, biasOff);
            if (even < kc) {
                SgemmMicroKernels.addRank1(ap, ao + even * MR, bs, bo + even * stride, cs, ci, cr);
            }
        }

        /**
         * Rows {@code [i0, i1)} of one panel in machine code ({@link NativeTile#runTiles}): the full
         * 8-row tiles in one call, the last rows in a shorter tile; a panel cut short by the column
         * tail computes each tile into the scratch tile and copies its valid part (as {@link
         * #tiles}). A is read in place when {@code inPlace}, else from the native packed block.
         */
        private void nativeTiles(
                Workspace ws,
                boolean inPlace,
                int i0,
                int i1,
                int kc,
                long aK0,
                MemorySegment bs,
                long bo,
                long stride,
                long prefetch,
                long co,
                int cols,
                boolean acc,
                MemorySegment addBias,
                long bOff,
                boolean gelu) {
            long aBlock = inPlace ? a.address() + aK0 + i0 * aRow : ws.aNative.address();
            long lda = inPlace ? aRow : 0;
            long aTile = inPlace ? MR * aRow : 4L * MR * kc;
            int full = (i1 - i0) / MR;
            int rest = (i1 - i0) - full * MR;
            if (cols == NR) {
                long ci = co + i0 * cRow;
                if (full > 0) {
                    NativeTile.runTiles(
                            MR, full, aBlock, lda, kc, bs, bo, stride, prefetch, c, ci, cRow, acc, addBias, bOff, gelu);
                }
                if (rest > 0) {
                    NativeTile.runTiles(
                            rest,
                            1,
                            aBlock + full * aTile,
                            lda,
                            kc,
                            bs,
                            bo,
                            stride,
                            0,
                            c,
                            ci + (long) full * MR * cRow,
                            cRow,
                            acc,
                            addBias,
                            bOff,
                            gelu);
                }
                return;
            }
            MemorySegment tileBias = addBias;
            long tileBiasOff = bOff;
            if (addBias != null) {
                // The kernels load NR bias floats: a short last panel takes a zero-padded copy.
                tileBias = ws.biasTile;
                tileBiasOff = 0;
                for (int j = 0; j < NR; j++) {
                    tileBias.set(
                            F32,
                            (long) j * Float.BYTES,
                            j < cols ? addBias.get(F32, bOff + (long) j * Float.BYTES) : 0f);
                }
            }
            MemorySegment tile = ws.tile;
            long tileRow = (long) NR * Float.BYTES;
            long colBytes = (long) cols * Float.BYTES;
            for (int t = 0; t * MR < i1 - i0; t++) {
                int rows = Math.min(MR, i1 - i0 - t * MR);
                long ci = co + (i0 + (long) t * MR) * cRow;
                if (acc) {
                    for (int r = 0; r < rows; r++) {
                        MemorySegment.copy(c, ci + r * cRow, tile, r * tileRow, colBytes);
                    }
                }
                NativeTile.runTiles(
                        rows,
                        1,
                        aBlock + t * aTile,
                        lda,
                        kc,
                        bs,
                        bo,
                        stride,
                        0,
                        tile,
                        0,
                        tileRow,
                        acc,
                        tileBias,
                        tileBiasOff,
                        false);
                for (int r = 0; r < rows; r++) {
                    MemorySegment.copy(tile, r * tileRow, c, ci + r * cRow, colBytes);
                }
            }
        }

        /**
         * Rows {@code [i0, i1)} of one panel, in 8-row tiles from the packed block. A tile that is
         * cut short (the last rows of the block, or the columns of the zero-padded last panel)
         * computes into a full {@code MR × NR} scratch tile, so the kernel never needs masks; only
         * its valid part is copied in and out of C. A lone last row runs the 1-row kernel instead:
         * it costs a quarter of a padded 8-row tile.
         */
        private void tiles(
                Workspace ws,
                int i0,
                int i1,
                int kc,
                long aK0,
                MemorySegment bs,
                long bo,
                long stride,
                long co,
                int cols,
                boolean acc,
                MemorySegment addBias,
                long bOff) {
            MemorySegment tileBias = addBias;
            long tileBiasOff = bOff;
            if (addBias != null && cols < NR) {
                // The kernels load NR bias floats: a short last panel takes a zero-padded copy.
                tileBias = ws.biasTile;
                tileBiasOff = 0;
                for (int j = 0; j < NR; j++) {
                    tileBias.set(
                            F32,
                            (long) j * Float.BYTES,
                            j < cols ? addBias.get(F32, bOff + (long) j * Float.BYTES) : 0f);
                }
            }
            for (int i = i0; i < i1; i += MR) {
                int rows = Math.min(MR, i1 - i);
                int ao = (i - i0) * kc;
                long ci = co + i * cRow;
                if (rows == MR && cols == NR) {
                    tile8(ws, kc, ws.aPack, ao, bs, bo, stride, c, ci, cRow, acc, addBias, bOff);
                } else if (rows == 1 && cols == NR) {
                    SgemmMicroKernels.kernel1(
                            kc, a, aK0 + i * aRow, aK, bs, bo, stride, c, ci, acc, alpha, addBias, bOff);
                } else {
                    MemorySegment tile = ws.tile;
                    long tileRow = (long) NR * Float.BYTES;
                    long colBytes = (long) cols * Float.BYTES;
                    if (acc) {
                        for (int r = 0; r < rows; r++) {
                            MemorySegment.copy(c, ci + r * cRow, tile, r * tileRow, colBytes);
                        }
                    }
                    tile8(ws, kc, ws.aPack, ao, bs, bo, stride, tile, 0L, tileRow, acc, tileBias, tileBiasOff);
                    for (int r = 0; r < rows; r++) {
                        MemorySegment.copy(tile, r * tileRow, c, ci + r * cRow, colBytes);
                    }
                }
            }
        }
    }
}
