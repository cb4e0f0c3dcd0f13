package fsc.runtime.kernels;

import fsc.runtime.x86.FmaGemmKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link SgemmMicroKernels#kernel8} plus its odd-k {@code addRank1}, in machine code when this CPU
 * has AVX-512 and the preferred species is 512 bits ({@link FmaGemmKernels}, whose panel is then
 * {@link Sgemm}'s): the same FMAs in the same order, so the same bits, but B and C read through raw
 * addresses, so no segment liveness check can sit in the k loop. Used by {@link Sgemm} and {@link
 * ConvGemm}, whose packed A must first be mirrored in native memory ({@link #mirror}); {@link
 * Sgemm} runs a panel's tiles per call ({@link #runTiles}), reading a row-major A in place.
 */
public final class NativeTile {
    /** The machine-code tile, or {@code null} where the Vector API kernel runs. */
    static final FmaGemmKernels FMA = Sgemm.NR == FmaGemmKernels.NR ? FmaGemmKernels.loadIfSupported() : null;

    private static final KernelParams PARAMS = new KernelParams(FmaGemmKernels.PARAMS);

    /** {@link FmaGemmKernels}' GELU constants: {@link FloatMath#geluRows}'s own values. */
    static final MemorySegment GELU_CONSTANTS = geluConstants();

    private NativeTile() {}

    private static MemorySegment geluConstants() {
        MemorySegment k = Arena.global().allocate(4L * FmaGemmKernels.CONSTANT_SLOTS, 64);
        k.setAtIndex(ValueLayout.JAVA_FLOAT, FmaGemmKernels.K_SQRT_HALF, FloatMath.SQRT_HALF);
        k.setAtIndex(ValueLayout.JAVA_INT, FmaGemmKernels.K_ABS, 0x7fffffff);
        k.setAtIndex(ValueLayout.JAVA_FLOAT, FmaGemmKernels.K_ONE, 1f);
        k.setAtIndex(ValueLayout.JAVA_FLOAT, FmaGemmKernels.K_HALF, 0.5f);
        k.setAtIndex(ValueLayout.JAVA_FLOAT, FmaGemmKernels.K_ERF_SPLIT, FloatMath.ERF_SPLIT);
        k.setAtIndex(ValueLayout.JAVA_INT, FmaGemmKernels.K_SIGN, 0x80000000);
        k.setAtIndex(ValueLayout.JAVA_FLOAT, FmaGemmKernels.K_ZERO, 0f);
        k.setAtIndex(ValueLayout.JAVA_FLOAT, FmaGemmKernels.K_LARGE_END, FloatMath.LARGE_END);
        k.setAtIndex(ValueLayout.JAVA_FLOAT, FmaGemmKernels.K_U_SCALE, FloatMath.U_SCALE);
        k.setAtIndex(ValueLayout.JAVA_FLOAT, FmaGemmKernels.K_U_OFFSET, FloatMath.U_OFFSET);
        if (FloatMath.SMALL.length != FmaGemmKernels.SMALL_TERMS
                || FloatMath.LARGE.length != FmaGemmKernels.LARGE_TERMS) {
            throw new IllegalStateException("GELU's polynomials changed; the machine-code epilogue must follow");
        }
        for (int i = 0; i < FloatMath.SMALL.length; i++) {
            k.setAtIndex(ValueLayout.JAVA_FLOAT, FmaGemmKernels.K_SMALL + i, FloatMath.SMALL[i]);
        }
        for (int i = 0; i < FloatMath.LARGE.length; i++) {
            k.setAtIndex(ValueLayout.JAVA_FLOAT, FmaGemmKernels.K_LARGE + i, FloatMath.LARGE[i]);
        }
        return k;
    }

    /**
     * Whether the machine-code tile runs on this CPU (AVX-512, 512-bit preferred species): 8 rows
     * by 32 columns, as {@link #runTiles} takes them.
     */
    public static boolean available() {
        return FMA != null;
    }

    /** Whether {@link #run} can take a tile with these operands. */
    static boolean applies(MemorySegment b, MemorySegment c, MemorySegment bias) {
        return FMA != null && b.isNative() && c.isNative() && (bias == null || bias.isNative());
    }

    /**
     * {@code C[8 rows, 32 cols] (+)= A·B} over {@code kc} steps, A at native address {@code a} (eight
     * rows interleaved per k), B at {@code b + bo} ({@code bRow} bytes per k), C at {@code c + co}
     * ({@code cRow} bytes per row); starting from C when {@code acc}, else from the bias row (or
     * zero when {@code bias} is {@code null}). The caller has checked {@link #applies}.
     */
    static void run(
            long a,
            int kc,
            MemorySegment b,
            long bo,
            long bRow,
            MemorySegment c,
            long co,
            long cRow,
            boolean acc,
            MemorySegment bias,
            long biasOff) {
        KernelParams.Block block = PARAMS.get();
        long[] p = block.values;
        p[FmaGemmKernels.A] = a;
        p[FmaGemmKernels.B] = b.address() + bo;
        p[FmaGemmKernels.B_ROW] = bRow;
        p[FmaGemmKernels.C] = c.address() + co;
        p[FmaGemmKernels.C_ROW] = cRow;
        p[FmaGemmKernels.K] = kc;
        int start = FmaGemmKernels.ZERO;
        if (acc) {
            start = FmaGemmKernels.ACC;
        } else if (bias != null) {
            start = FmaGemmKernels.BIAS;
            p[FmaGemmKernels.BIAS_ROW] = bias.address() + biasOff;
        }
        FMA.run(start, block.publish());
    }

    /**
     * {@code tiles} tiles of {@code rows} rows (each but the last {@link Sgemm#MR} rows) of one
     * panel, one call: tile {@code t}'s C at {@code c + co + t · MR · cRow}. A is at native address
     * {@code a}: packed ({@code lda} 0; the next tile's A {@code MR · kc} floats on), or read in
     * place, rows {@code lda} bytes apart, consecutive k adjacent. While the first tile runs, B
     * {@code prefetch} bytes further on (the next panel) is fetched into L2. With {@code gelu}
     * each tile ends with exact GELU while in L1 ({@link FloatMath#geluRows}'s bits). {@code
     * panels} such column panels side by side, in the same call ({@code bPanel} bytes of B from
     * one to the next, C and the bias 32 floats): one call per GEMM row block rather than per
     * panel, which matters where the caller still runs in the interpreter. Otherwise as {@link
     * #run}; the caller has checked {@link #applies}.
     */
    public static void runTiles(
            int rows,
            int tiles,
            long a,
            long lda,
            int kc,
            MemorySegment b,
            long bo,
            long bRow,
            long prefetch,
            MemorySegment c,
            long co,
            long cRow,
            boolean acc,
            MemorySegment bias,
            long biasOff,
            boolean gelu,
            int panels,
            long bPanel) {
        long aTile = lda == 0 ? 4L * Sgemm.MR * kc : Sgemm.MR * lda;
        launch(
                rows, tiles, a, lda, aTile, kc, b, bo, bRow, prefetch, c, co, cRow, acc, bias, biasOff, gelu, panels,
                bPanel);
    }

    /**
     * {@code tiles} full tiles of one panel in one call, A packed with an explicit distance between
     * tiles: {@code aTile} bytes from one tile's A to the next (a conv's packed weights, where a
     * segment's k run is part of each tile's full K, so the distance is {@code MR · K}, not {@code
     * MR · kc}). Tile {@code t}'s C at {@code c + co + t · MR · cRow}, starting from C when {@code
     * acc}, else from zero; B {@code prefetch} bytes on is fetched into L2 during the first tile.
     * The caller has checked {@link #applies}.
     */
    static void runPackedTiles(
            int tiles,
            long a,
            long aTile,
            int kc,
            MemorySegment b,
            long bo,
            long bRow,
            long prefetch,
            MemorySegment c,
            long co,
            long cRow,
            boolean acc) {
        launch(Sgemm.MR, tiles, a, 0L, aTile, kc, b, bo, bRow, prefetch, c, co, cRow, acc, null, 0L, false, 1, 0L);
    }

    /** Fills this thread's parameter block for {@link #runTiles} and {@link #runPackedTiles} and calls the kernel. */
    private static void launch(
            int rows,
            int tiles,
            long a,
            long lda,
            long aTile,
            int kc,
            MemorySegment b,
            long bo,
            long bRow,
            long prefetch,
            MemorySegment c,
            long co,
            long cRow,
            boolean acc,
            MemorySegment bias,
            long biasOff,
            boolean gelu,
            int panels,
            long bPanel) {
        KernelParams.Block block = PARAMS.get();
        long[] p = block.values;
        p[FmaGemmKernels.A] = a;
        p[FmaGemmKernels.LDA] = lda;
        p[FmaGemmKernels.CONSTANTS] = GELU_CONSTANTS.address();
        p[FmaGemmKernels.A_TILE] = aTile;
        p[FmaGemmKernels.TILES] = tiles;
        p[FmaGemmKernels.B] = b.address() + bo;
        p[FmaGemmKernels.B_ROW] = bRow;
        p[FmaGemmKernels.PF] = prefetch;
        p[FmaGemmKernels.C] = c.address() + co;
        p[FmaGemmKernels.C_ROW] = cRow;
        p[FmaGemmKernels.K] = kc;
        p[FmaGemmKernels.PANELS] = panels;
        p[FmaGemmKernels.B_PANEL] = bPanel;
        int start = FmaGemmKernels.ZERO;
        if (acc) {
            start = FmaGemmKernels.ACC;
        } else if (bias != null) {
            start = FmaGemmKernels.BIAS;
            p[FmaGemmKernels.BIAS_ROW] = bias.address() + biasOff;
        }
        FMA.runTiles(rows, start, lda != 0, gelu, block.publish());
    }

    /**
     * {@code floats[0..count)} in native memory, in {@code into} when it is large enough, else in a
     * new segment (returned either way).
     */
    static MemorySegment mirror(float[] floats, int count, MemorySegment into) {
        MemorySegment dst =
                into.byteSize() >= 4L * count ? into : Arena.ofAuto().allocate(4L * Math.max(count, 1), 64);
        MemorySegment.copy(floats, 0, dst, ValueLayout.JAVA_FLOAT, 0, count);
        return dst;
    }
}
