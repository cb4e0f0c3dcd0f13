package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code x32_transpose2d__vf}: a 2-D transpose of 4-byte elements, {@code y[r, c] = x[c, r]}, in
 * tiles of {@code VL × VL}: {@code VL} rows of x loaded as vectors, transposed in registers by
 * {@code log2(VL)} stages of block swaps (stage {@code b} exchanges the off-diagonal {@code b × b}
 * blocks of every {@code 2b × 2b} block, two two-source permutes per pair of rows, {@code
 * vpermt2ps} on AVX-512), stored as {@code VL} rows of y. Edges that do not fill a tile are copied
 * one element at a time. The elements are moved as bits (loads, permutes, stores), so any 4-byte
 * type is exact. The scalar 16×16-tiled loop it replaces in generated code ({@code transpose}
 * nodes, the detector's Resize and ConvTranspose lowering) moved ~1 element per 1.4 ns.
 */
public final class Transpose2d {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final int STAGES = Integer.numberOfTrailingZeros(VL);
    /** Per stage, the permute indices of the low and high row of each pair (as floats, for selectFrom). */
    private static final float[][] LO = new float[STAGES][];

    private static final float[][] HI = new float[STAGES][];

    static {
        for (int s = 0; s < STAGES; s++) {
            int b = VL >> (s + 1);
            LO[s] = new float[VL];
            HI[s] = new float[VL];
            for (int j = 0; j < VL; j++) {
                // Low row i keeps its lanes without bit b and takes row i+b's lanes j−b for the others;
                // high row i+b takes row i's lanes j+b and keeps its own lanes with bit b.
                LO[s][j] = (j & b) == 0 ? j : VL + j - b;
                HI[s][j] = (j & b) == 0 ? j + b : VL + j;
            }
        }
    }

    private Transpose2d() {}

    /**
     * {@code y[yOff + r·yRowStride + c] = x[xOff + r + c·xColStride]} for {@code r < rows}, {@code c
     * < cols}; offsets and strides in elements. The two regions must not overlap.
     */
    public static void run(
            MemorySegment x,
            long xOff,
            long xColStride,
            MemorySegment y,
            long yOff,
            long yRowStride,
            long rows,
            long cols) {
        long fullR = rows - rows % VL;
        long fullC = cols - cols % VL;
        for (long r0 = 0; r0 < fullR; r0 += VL) {
            for (long c0 = 0; c0 < fullC; c0 += VL) {
                tile(
                        x,
                        (xOff + r0 + c0 * xColStride) * 4,
                        xColStride * 4,
                        y,
                        (yOff + r0 * yRowStride + c0) * 4,
                        yRowStride * 4);
            }
        }
        // Edges: the last rows % VL rows of y (all columns) and the last cols % VL columns of the rest.
        edge(x, xOff, xColStride, y, yOff, yRowStride, fullR, rows, 0, cols);
        edge(x, xOff, xColStride, y, yOff, yRowStride, 0, fullR, fullC, cols);
    }

    private static void edge(
            MemorySegment x,
            long xOff,
            long xColStride,
            MemorySegment y,
            long yOff,
            long yRowStride,
            long r0,
            long r1,
            long c0,
            long c1) {
        for (long r = r0; r < r1; r++) {
            for (long c = c0; c < c1; c++) {
                y.set(I32, (yOff + r * yRowStride + c) * 4, x.get(I32, (xOff + r + c * xColStride) * 4));
            }
        }
    }

    /** One {@code VL × VL} tile: x rows {@code xRow} bytes apart at {@code xAt}, y rows {@code yRow} apart. */
    private static void tile(MemorySegment x, long xAt, long xRow, MemorySegment y, long yAt, long yRow) {
        if (VL == 16) {
            tile16(x, xAt, xRow, y, yAt, yRow);
            return;
        }
        // Other widths: element by element (the machines measured have 16 lanes).
        for (int r = 0; r < VL; r++) {
            for (int c = 0; c < VL; c++) {
                y.set(I32, yAt + r * yRow + c * 4L, x.get(I32, xAt + c * xRow + r * 4L));
            }
        }
    }

    /**
     * The 16-lane tile with its sixteen rows in locals (no array, so C2 keeps them in registers):
     * x's row {@code c} (16 consecutive r) is y's column {@code c}.
     */
    private static void tile16(MemorySegment x, long xAt, long xRow, MemorySegment y, long yAt, long yRow) {
        FloatVector a0 = FloatVector.fromMemorySegment(S, x, xAt, LE);
        FloatVector a1 = FloatVector.fromMemorySegment(S, x, xAt + xRow, LE);
        FloatVector a2 = FloatVector.fromMemorySegment(S, x, xAt + 2 * xRow, LE);
        FloatVector a3 = FloatVector.fromMemorySegment(S, x, xAt + 3 * xRow, LE);
        FloatVector a4 = FloatVector.fromMemorySegment(S, x, xAt + 4 * xRow, LE);
        FloatVector a5 = FloatVector.fromMemorySegment(S, x, xAt + 5 * xRow, LE);
        FloatVector a6 = FloatVector.fromMemorySegment(S, x, xAt + 6 * xRow, LE);
        FloatVector a7 = FloatVector.fromMemorySegment(S, x, xAt + 7 * xRow, LE);
        FloatVector a8 = FloatVector.fromMemorySegment(S, x, xAt + 8 * xRow, LE);
        FloatVector a9 = FloatVector.fromMemorySegment(S, x, xAt + 9 * xRow, LE);
        FloatVector a10 = FloatVector.fromMemorySegment(S, x, xAt + 10 * xRow, LE);
        FloatVector a11 = FloatVector.fromMemorySegment(S, x, xAt + 11 * xRow, LE);
        FloatVector a12 = FloatVector.fromMemorySegment(S, x, xAt + 12 * xRow, LE);
        FloatVector a13 = FloatVector.fromMemorySegment(S, x, xAt + 13 * xRow, LE);
        FloatVector a14 = FloatVector.fromMemorySegment(S, x, xAt + 14 * xRow, LE);
        FloatVector a15 = FloatVector.fromMemorySegment(S, x, xAt + 15 * xRow, LE);
        // Stage b = 8: rows (i, i+8).
        FloatVector lo = FloatVector.fromArray(S, LO[0], 0);
        FloatVector hi = FloatVector.fromArray(S, HI[0], 0);
        FloatVector b0 = lo.selectFrom(a0, a8), b8 = hi.selectFrom(a0, a8);
        FloatVector b1 = lo.selectFrom(a1, a9), b9 = hi.selectFrom(a1, a9);
        FloatVector b2 = lo.selectFrom(a2, a10), b10 = hi.selectFrom(a2, a10);
        FloatVector b3 = lo.selectFrom(a3, a11), b11 = hi.selectFrom(a3, a11);
        FloatVector b4 = lo.selectFrom(a4, a12), b12 = hi.selectFrom(a4, a12);
        FloatVector b5 = lo.selectFrom(a5, a13), b13 = hi.selectFrom(a5, a13);
        FloatVector b6 = lo.selectFrom(a6, a14), b14 = hi.selectFrom(a6, a14);
        FloatVector b7 = lo.selectFrom(a7, a15), b15 = hi.selectFrom(a7, a15);
        // Stage b = 4: rows (i, i+4) within each half.
        lo = FloatVector.fromArray(S, LO[1], 0);
        hi = FloatVector.fromArray(S, HI[1], 0);
        a0 = lo.selectFrom(b0, b4);
        a4 = hi.selectFrom(b0, b4);
        a1 = lo.selectFrom(b1, b5);
        a5 = hi.selectFrom(b1, b5);
        a2 = lo.selectFrom(b2, b6);
        a6 = hi.selectFrom(b2, b6);
        a3 = lo.selectFrom(b3, b7);
        a7 = hi.selectFrom(b3, b7);
        a8 = lo.selectFrom(b8, b12);
        a12 = hi.selectFrom(b8, b12);
        a9 = lo.selectFrom(b9, b13);
        a13 = hi.selectFrom(b9, b13);
        a10 = lo.selectFrom(b10, b14);
        a14 = hi.selectFrom(b10, b14);
        a11 = lo.selectFrom(b11, b15);
        a15 = hi.selectFrom(b11, b15);
        // Stage b = 2: rows (i, i+2).
        lo = FloatVector.fromArray(S, LO[2], 0);
        hi = FloatVector.fromArray(S, HI[2], 0);
        b0 = lo.selectFrom(a0, a2);
        b2 = hi.selectFrom(a0, a2);
        b1 = lo.selectFrom(a1, a3);
        b3 = hi.selectFrom(a1, a3);
        b4 = lo.selectFrom(a4, a6);
        b6 = hi.selectFrom(a4, a6);
        b5 = lo.selectFrom(a5, a7);
        b7 = hi.selectFrom(a5, a7);
        b8 = lo.selectFrom(a8, a10);
        b10 = hi.selectFrom(a8, a10);
        b9 = lo.selectFrom(a9, a11);
        b11 = hi.selectFrom(a9, a11);
        b12 = lo.selectFrom(a12, a14);
        b14 = hi.selectFrom(a12, a14);
        b13 = lo.selectFrom(a13, a15);
        b15 = hi.selectFrom(a13, a15);
        // Stage b = 1: rows (i, i+1); the results are y's rows 0..15 of the tile.
        lo = FloatVector.fromArray(S, LO[3], 0);
        hi = FloatVector.fromArray(S, HI[3], 0);
        lo.selectFrom(b0, b1).intoMemorySegment(y, yAt, LE);
        hi.selectFrom(b0, b1).intoMemorySegment(y, yAt + yRow, LE);
        lo.selectFrom(b2, b3).intoMemorySegment(y, yAt + 2 * yRow, LE);
        hi.selectFrom(b2, b3).intoMemorySegment(y, yAt + 3 * yRow, LE);
        lo.selectFrom(b4, b5).intoMemorySegment(y, yAt + 4 * yRow, LE);
        hi.selectFrom(b4, b5).intoMemorySegment(y, yAt + 5 * yRow, LE);
        lo.selectFrom(b6, b7).intoMemorySegment(y, yAt + 6 * yRow, LE);
        hi.selectFrom(b6, b7).intoMemorySegment(y, yAt + 7 * yRow, LE);
        lo.selectFrom(b8, b9).intoMemorySegment(y, yAt + 8 * yRow, LE);
        hi.selectFrom(b8, b9).intoMemorySegment(y, yAt + 9 * yRow, LE);
        lo.selectFrom(b10, b11).intoMemorySegment(y, yAt + 10 * yRow, LE);
        hi.selectFrom(b10, b11).intoMemorySegment(y, yAt + 11 * yRow, LE);
        lo.selectFrom(b12, b13).intoMemorySegment(y, yAt + 12 * yRow, LE);
        hi.selectFrom(b12, b13).intoMemorySegment(y, yAt + 13 * yRow, LE);
        lo.selectFrom(b14, b15).intoMemorySegment(y, yAt + 14 * yRow, LE);
        hi.selectFrom(b14, b15).intoMemorySegment(y, yAt + 15 * yRow, LE);
    }
}
