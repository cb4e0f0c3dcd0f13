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
    static final long VB = (long) VL * Float.BYTES;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** Below this many multiply-adds a GEMM runs on the calling thread: dispatch would cost more. */
    private static final long PARALLEL_MIN_MACS = 1L << 18;

    /**
     * Chunks of column panels per thread when a GEMM is split by panels and reads A in place (see
     * {@link #run}). Four: at two threads a 384-column GEMM (12 panels) is 6 chunks of 2 panels.
     */
    static final int PANEL_CHUNKS_PER_THREAD = 4;

    static final ThreadLocal<Workspace> WORKSPACE = new ThreadLocal<>() {
        @Override
        protected Workspace initialValue() {
            return new Workspace();
        }
    };

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
        SgemmTask t = ws.task;
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
        SgemmTask t = ws.task;
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

    private static void run(SgemmTask t, Parallelism par) {
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
    static final class Workspace {
        final SgemmTask task = new SgemmTask();
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
}
