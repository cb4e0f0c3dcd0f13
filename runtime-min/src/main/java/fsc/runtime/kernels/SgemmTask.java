package fsc.runtime.kernels;

import static fsc.runtime.kernels.Sgemm.F32;
import static fsc.runtime.kernels.Sgemm.KC;
import static fsc.runtime.kernels.Sgemm.LE;
import static fsc.runtime.kernels.Sgemm.MC;
import static fsc.runtime.kernels.Sgemm.MR;
import static fsc.runtime.kernels.Sgemm.NR;
import static fsc.runtime.kernels.Sgemm.S;
import static fsc.runtime.kernels.Sgemm.VB;
import static fsc.runtime.kernels.Sgemm.VL;
import static fsc.runtime.kernels.Sgemm.WORKSPACE;
import static fsc.runtime.kernels.Sgemm.panels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * One GEMM's operands and the blocked loop nest; also the parallel body, splitting either column
 * panels or rows (in multiples of {@link Sgemm#MR}), for {@link Sgemm}.
 */
final class SgemmTask implements Parallelism.IntRangeBody {
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
        Sgemm.Workspace ws = WORKSPACE.get();
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
                for (int p = panelFrom; p < panelTo; ) {
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
                    // Full main panels side by side share every argument but their offsets: the
                    // machine code takes a run of them in one call.
                    int run = 1;
                    if (fast && main && cols == NR) {
                        int end = Math.min(panelTo, mainPanels);
                        while (p + run < end && n - (p + run) * NR >= NR) {
                            run++;
                        }
                    }
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
                                nativeGelu,
                                run,
                                bPanel);
                    } else {
                        tiles(ws, i0, i1, kc, aK0, bs, bo, stride, co, cols, acc, addBias, bOffP);
                    }
                    if (last
                            && !nativeGelu
                            && (activation != GemmEpilogue.Activation.NONE || accumulate && bias != null)) {
                        for (int q = p; q < p + run; q++) {
                            epilogue(i0, i1, q * NR, Math.min(NR, n - q * NR), accumulate ? bias : null, activation);
                        }
                    }
                    p += run;
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
            Sgemm.Workspace ws,
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
     * Rows {@code [i0, i1)} of {@code panels} full panels side by side ({@code bPanel} bytes of B
     * apart), or of one panel, in machine code ({@link NativeTile#runTiles}): the full 8-row tiles
     * in one call, the last rows in a shorter tile; a panel cut short by the column tail computes
     * each tile into the scratch tile and copies its valid part (as {@link #tiles}). A is read in
     * place when {@code inPlace}, else from the native packed block.
     */
    private void nativeTiles(
            Sgemm.Workspace ws,
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
            boolean gelu,
            int panels,
            long bPanel) {
        long aBlock = inPlace ? a.address() + aK0 + i0 * aRow : ws.aNative.address();
        long lda = inPlace ? aRow : 0;
        long aTile = inPlace ? MR * aRow : 4L * MR * kc;
        int full = (i1 - i0) / MR;
        int rest = (i1 - i0) - full * MR;
        if (cols == NR) {
            long ci = co + i0 * cRow;
            if (full > 0) {
                NativeTile.runTiles(
                        MR, full, aBlock, lda, kc, bs, bo, stride, prefetch, c, ci, cRow, acc, addBias, bOff, gelu,
                        panels, bPanel);
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
                        gelu,
                        panels,
                        bPanel);
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
                        F32, (long) j * Float.BYTES, j < cols ? addBias.get(F32, bOff + (long) j * Float.BYTES) : 0f);
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
                    false,
                    1,
                    0L);
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
            Sgemm.Workspace ws,
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
                        F32, (long) j * Float.BYTES, j < cols ? addBias.get(F32, bOff + (long) j * Float.BYTES) : 0f);
            }
        }
        for (int i = i0; i < i1; i += MR) {
            int rows = Math.min(MR, i1 - i);
            int ao = (i - i0) * kc;
            long ci = co + i * cRow;
            if (rows == MR && cols == NR) {
                tile8(ws, kc, ws.aPack, ao, bs, bo, stride, c, ci, cRow, acc, addBias, bOff);
            } else if (rows == 1 && cols == NR) {
                SgemmMicroKernels.kernel1(kc, a, aK0 + i * aRow, aK, bs, bo, stride, c, ci, acc, alpha, addBias, bOff);
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
