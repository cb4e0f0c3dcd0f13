package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled inner loops of {@link Sgemm}. A B row stride ({@code bRow}) lets the same
 * kernels read packed panels ({@code NR} floats per k) and plain row-major B in place. Both start
 * their accumulators from a bias row of {@code NR} floats when one is given (else from zero). The 8-row
 * kernel reads A packed ({@link #packA}); the 1-row kernel reads A in place through its two strides
 * ({@code aRow}, {@code aK}), which cover both A and Aᵀ. Segment offsets and strides are in bytes.
 */
final class SgemmMicroKernels {
    private static final VectorSpecies<Float> S = Sgemm.S;
    private static final long VB = (long) Sgemm.VL * Float.BYTES;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final int MR = Sgemm.MR;
    /** {@link #packA}'s gather: one lane per row of an {@link Sgemm#MR}-row tile. */
    private static final VectorSpecies<Float> G = FloatVector.SPECIES_256;
    /**
     * Whether the JVM compiles {@link #G} to vector instructions: below 256-bit vectors ({@code
     * -XX:MaxVectorSize=16}, NEON-class) a SPECIES_256 gather runs the Vector API's Java fallback,
     * which allocates on every call, so {@link #packA} interleaves with a scalar loop there.
     */
    private static final boolean G_NATIVE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;

    private SgemmMicroKernels() {}

    /**
     * {@code f32_gemm_8x2v}: eight rows of C, two vectors of columns, over an even {@code kc} steps of
     * k: {@code C = acc}, where the accumulators start from C itself ({@code acc}), from a bias row of
     * NR floats, or from zero. A comes packed and already scaled by alpha ({@link #packA}): the eight
     * values of one k are adjacent in a heap array, so the loop reads A through one index whose range
     * checks C2 hoists out of the loop; 16 accumulators, two B vectors and one broadcast fit the 32
     * AVX-512 registers. Everything stays in this one method: a vector passed to a call that C2 does
     * not inline gets boxed, and then the whole loop allocates.
     *
     * <p>Two k steps per iteration, offsets bumped rather than recomputed from kk: the loop's scalar
     * work (B's two range checks, index arithmetic, spilled registers) issues on the FMA ports too,
     * and per single step it cost about a quarter of the FMA rate (docs/PERFORMANCE-FP32.md). Four
     * steps per iteration measured slower than two; an odd last step is {@link #addRank1}'s, and
     * alpha lives in the packed A, because a third copy of the step or an alpha epilogue made the
     * method too big for C1's register allocator (C1 code runs every vector op as Java calls).
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
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (acc) {
            c00 = FloatVector.fromMemorySegment(S, c, co + 0 * cRow, LE);
            c01 = FloatVector.fromMemorySegment(S, c, co + 0 * cRow + VB, LE);
            c10 = FloatVector.fromMemorySegment(S, c, co + 1 * cRow, LE);
            c11 = FloatVector.fromMemorySegment(S, c, co + 1 * cRow + VB, LE);
            c20 = FloatVector.fromMemorySegment(S, c, co + 2 * cRow, LE);
            c21 = FloatVector.fromMemorySegment(S, c, co + 2 * cRow + VB, LE);
            c30 = FloatVector.fromMemorySegment(S, c, co + 3 * cRow, LE);
            c31 = FloatVector.fromMemorySegment(S, c, co + 3 * cRow + VB, LE);
            c40 = FloatVector.fromMemorySegment(S, c, co + 4 * cRow, LE);
            c41 = FloatVector.fromMemorySegment(S, c, co + 4 * cRow + VB, LE);
            c50 = FloatVector.fromMemorySegment(S, c, co + 5 * cRow, LE);
            c51 = FloatVector.fromMemorySegment(S, c, co + 5 * cRow + VB, LE);
            c60 = FloatVector.fromMemorySegment(S, c, co + 6 * cRow, LE);
            c61 = FloatVector.fromMemorySegment(S, c, co + 6 * cRow + VB, LE);
            c70 = FloatVector.fromMemorySegment(S, c, co + 7 * cRow, LE);
            c71 = FloatVector.fromMemorySegment(S, c, co + 7 * cRow + VB, LE);
        } else {
            if (bias != null) {
                c00 = FloatVector.fromMemorySegment(S, bias, biasOff, LE);
                c01 = FloatVector.fromMemorySegment(S, bias, biasOff + VB, LE);
            } else {
                c00 = FloatVector.zero(S);
                c01 = FloatVector.zero(S);
            }
            c10 = c00;
            c11 = c01;
            c20 = c00;
            c21 = c01;
            c30 = c00;
            c31 = c01;
            c40 = c00;
            c41 = c01;
            c50 = c00;
            c51 = c01;
            c60 = c00;
            c61 = c01;
            c70 = c00;
            c71 = c01;
        }
        long bk = bo;
        int at = ao;
        FloatVector b0, b1, x;
        for (int kk = 0; kk < kc; kk += 2) {
            b0 = FloatVector.fromMemorySegment(S, b, bk, LE);
            b1 = FloatVector.fromMemorySegment(S, b, bk + VB, LE);
            x = FloatVector.broadcast(S, ap[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, ap[at + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, ap[at + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, ap[at + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(S, ap[at + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(S, ap[at + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            x = FloatVector.broadcast(S, ap[at + 6]);
            c60 = b0.fma(x, c60);
            c61 = b1.fma(x, c61);
            x = FloatVector.broadcast(S, ap[at + 7]);
            c70 = b0.fma(x, c70);
            c71 = b1.fma(x, c71);
            bk += bRow;
            at += MR;
            b0 = FloatVector.fromMemorySegment(S, b, bk, LE);
            b1 = FloatVector.fromMemorySegment(S, b, bk + VB, LE);
            x = FloatVector.broadcast(S, ap[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, ap[at + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, ap[at + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, ap[at + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(S, ap[at + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(S, ap[at + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            x = FloatVector.broadcast(S, ap[at + 6]);
            c60 = b0.fma(x, c60);
            c61 = b1.fma(x, c61);
            x = FloatVector.broadcast(S, ap[at + 7]);
            c70 = b0.fma(x, c70);
            c71 = b1.fma(x, c71);
            bk += bRow;
            at += MR;
        }
        c00.intoMemorySegment(c, co + 0 * cRow, LE);
        c01.intoMemorySegment(c, co + 0 * cRow + VB, LE);
        c10.intoMemorySegment(c, co + 1 * cRow, LE);
        c11.intoMemorySegment(c, co + 1 * cRow + VB, LE);
        c20.intoMemorySegment(c, co + 2 * cRow, LE);
        c21.intoMemorySegment(c, co + 2 * cRow + VB, LE);
        c30.intoMemorySegment(c, co + 3 * cRow, LE);
        c31.intoMemorySegment(c, co + 3 * cRow + VB, LE);
        c40.intoMemorySegment(c, co + 4 * cRow, LE);
        c41.intoMemorySegment(c, co + 4 * cRow + VB, LE);
        c50.intoMemorySegment(c, co + 5 * cRow, LE);
        c51.intoMemorySegment(c, co + 5 * cRow + VB, LE);
        c60.intoMemorySegment(c, co + 6 * cRow, LE);
        c61.intoMemorySegment(c, co + 6 * cRow + VB, LE);
        c70.intoMemorySegment(c, co + 7 * cRow, LE);
        c71.intoMemorySegment(c, co + 7 * cRow + VB, LE);
    }

    /**
     * {@code C[0..MR) += a ⊗ b}: one k step over an 8-row tile, after {@link #kernel8} ran the even
     * part of an odd {@code kc}. {@code a} holds the MR values of that k (packed and scaled, at {@code
     * ao}), {@code b} one row of NR floats.
     */
    static void addRank1(float[] ap, int ao, MemorySegment b, long bo, MemorySegment c, long co, long cRow) {
        FloatVector b0 = FloatVector.fromMemorySegment(S, b, bo, LE);
        FloatVector b1 = FloatVector.fromMemorySegment(S, b, bo + VB, LE);
        for (int r = 0; r < MR; r++) {
            long row = co + r * cRow;
            FloatVector x = FloatVector.broadcast(S, ap[ao + r]);
            b0.fma(x, FloatVector.fromMemorySegment(S, c, row, LE)).intoMemorySegment(c, row, LE);
            b1.fma(x, FloatVector.fromMemorySegment(S, c, row + VB, LE)).intoMemorySegment(c, row + VB, LE);
        }
    }

    /** {@code f32_gemm_1x2v}: one row of C (a block whose last tile holds a single row). */
    static void kernel1(
            int kc,
            MemorySegment a,
            long ao,
            long aK,
            MemorySegment b,
            long bo,
            long bRow,
            MemorySegment c,
            long co,
            boolean acc,
            float alpha,
            MemorySegment bias,
            long biasOff) {
        FloatVector c00, c01;
        if (bias != null) {
            c00 = FloatVector.fromMemorySegment(S, bias, biasOff, LE);
            c01 = FloatVector.fromMemorySegment(S, bias, biasOff + VB, LE);
        } else {
            c00 = FloatVector.zero(S);
            c01 = FloatVector.zero(S);
        }
        for (int kk = 0; kk < kc; kk++) {
            FloatVector x = FloatVector.broadcast(S, a.get(F32, ao));
            c00 = FloatVector.fromMemorySegment(S, b, bo, LE).fma(x, c00);
            c01 = FloatVector.fromMemorySegment(S, b, bo + VB, LE).fma(x, c01);
            bo += bRow;
            ao += aK;
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        if (acc) {
            c00 = c00.fma(va, FloatVector.fromMemorySegment(S, c, co, LE));
            c01 = c01.fma(va, FloatVector.fromMemorySegment(S, c, co + VB, LE));
        } else {
            c00 = c00.mul(va);
            c01 = c01.mul(va);
        }
        c00.intoMemorySegment(c, co, LE);
        c01.intoMemorySegment(c, co + VB, LE);
    }

    /**
     * Packs rows {@code [i0, i1)} × k {@code [0, kc)} of A (element {@code (i, kk)} at byte
     * {@code ao + i·aRow + kk·aK}), times {@code alpha}, into {@code dst} as tiles of {@link Sgemm#MR} rows: tile {@code t}
     * starts at {@code t·MR·kc} and holds, for each kk, the MR values of that column. Rows past
     * {@code i1} in the last tile are zero, so {@link #kernel8} never needs a row mask. When A's rows
     * are contiguous ({@code aK} = 4) a whole tile's rows are first bulk-copied into {@code rows}
     * ({@code MR·kc} floats), and each k's eight values are then one 8-lane gather ({@code idx}
     * holds the MR row starts 0, kc, 2kc, ...) and one store: the interleave a scalar loop did one
     * float at a time.
     */
    static void packA(
            MemorySegment a,
            long ao,
            long aRow,
            long aK,
            int i0,
            int i1,
            int kc,
            float alpha,
            float[] dst,
            float[] rows,
            int[] idx) {
        for (int t = 0; i0 + t * MR < i1; t++) {
            int base = t * MR * kc;
            int full = Math.min(MR, i1 - i0 - t * MR);
            if (aK == Float.BYTES && full == MR) {
                for (int r = 0; r < MR; r++) {
                    MemorySegment.copy(a, F32, ao + (i0 + t * MR + r) * aRow, rows, r * kc, kc);
                    idx[r] = r * kc;
                }
                if (G_NATIVE && SgemmColdStart.warm()) { // cold, the gather is the Java fallback too
                    for (int kk = 0; kk < kc; kk++) {
                        FloatVector.fromArray(G, rows, kk, idx, 0).mul(alpha).intoArray(dst, base + kk * MR);
                    }
                } else {
                    for (int kk = 0; kk < kc; kk++) {
                        for (int r = 0; r < MR; r++) {
                            dst[base + kk * MR + r] = rows[r * kc + kk] * alpha;
                        }
                    }
                }
                continue;
            }
            for (int r = 0; r < MR; r++) {
                int i = i0 + t * MR + r;
                if (r >= full) {
                    for (int kk = 0; kk < kc; kk++) {
                        dst[base + kk * MR + r] = 0f;
                    }
                } else {
                    long at = ao + i * aRow;
                    for (int kk = 0; kk < kc; kk++) {
                        dst[base + kk * MR + r] = a.get(F32, at + kk * aK) * alpha;
                    }
                }
            }
        }
    }
}
