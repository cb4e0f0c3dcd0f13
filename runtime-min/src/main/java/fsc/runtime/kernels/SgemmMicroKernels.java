package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled inner loops of {@link Sgemm}. A B row stride ({@code bRow}) lets the same
 * kernels read packed panels ({@code NR} floats per k) and plain row-major B in place; A's two
 * strides ({@code aRow}, {@code aK}) cover both A and Aᵀ. Offsets and strides are in bytes.
 */
final class SgemmMicroKernels {
    private static final VectorSpecies<Float> S = Sgemm.S;
    private static final long VB = (long) Sgemm.VL * Float.BYTES;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private SgemmMicroKernels() {}

    /**
     * {@code f32_gemm_6x2v}: six rows of C, two vectors of columns, over {@code kc} steps of k; then
     * {@code C = alpha·acc (+ C)}. Everything stays in this one method: a vector passed to a call
     * that C2 does not inline gets boxed, and then the whole loop allocates.
     */
    static void kernel6(
            int kc,
            MemorySegment a,
            long ao,
            long aRow,
            long aK,
            MemorySegment b,
            long bo,
            long bRow,
            MemorySegment c,
            long co,
            long cRow,
            boolean acc,
            float alpha) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        long a0 = ao, a1 = ao + aRow, a2 = a1 + aRow, a3 = a2 + aRow, a4 = a3 + aRow, a5 = a4 + aRow;
        for (int kk = 0; kk < kc; kk++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bo, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bo + VB, LE);
            FloatVector x = FloatVector.broadcast(S, a.get(F32, a0));
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, a.get(F32, a1));
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, a.get(F32, a2));
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, a.get(F32, a3));
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(S, a.get(F32, a4));
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(S, a.get(F32, a5));
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            bo += bRow;
            a0 += aK;
            a1 += aK;
            a2 += aK;
            a3 += aK;
            a4 += aK;
            a5 += aK;
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        long r0 = co, r1 = co + cRow, r2 = r1 + cRow, r3 = r2 + cRow, r4 = r3 + cRow, r5 = r4 + cRow;
        if (acc) {
            c00 = c00.fma(va, FloatVector.fromMemorySegment(S, c, r0, LE));
            c01 = c01.fma(va, FloatVector.fromMemorySegment(S, c, r0 + VB, LE));
            c10 = c10.fma(va, FloatVector.fromMemorySegment(S, c, r1, LE));
            c11 = c11.fma(va, FloatVector.fromMemorySegment(S, c, r1 + VB, LE));
            c20 = c20.fma(va, FloatVector.fromMemorySegment(S, c, r2, LE));
            c21 = c21.fma(va, FloatVector.fromMemorySegment(S, c, r2 + VB, LE));
            c30 = c30.fma(va, FloatVector.fromMemorySegment(S, c, r3, LE));
            c31 = c31.fma(va, FloatVector.fromMemorySegment(S, c, r3 + VB, LE));
            c40 = c40.fma(va, FloatVector.fromMemorySegment(S, c, r4, LE));
            c41 = c41.fma(va, FloatVector.fromMemorySegment(S, c, r4 + VB, LE));
            c50 = c50.fma(va, FloatVector.fromMemorySegment(S, c, r5, LE));
            c51 = c51.fma(va, FloatVector.fromMemorySegment(S, c, r5 + VB, LE));
        } else {
            c00 = c00.mul(va);
            c01 = c01.mul(va);
            c10 = c10.mul(va);
            c11 = c11.mul(va);
            c20 = c20.mul(va);
            c21 = c21.mul(va);
            c30 = c30.mul(va);
            c31 = c31.mul(va);
            c40 = c40.mul(va);
            c41 = c41.mul(va);
            c50 = c50.mul(va);
            c51 = c51.mul(va);
        }
        c00.intoMemorySegment(c, r0, LE);
        c01.intoMemorySegment(c, r0 + VB, LE);
        c10.intoMemorySegment(c, r1, LE);
        c11.intoMemorySegment(c, r1 + VB, LE);
        c20.intoMemorySegment(c, r2, LE);
        c21.intoMemorySegment(c, r2 + VB, LE);
        c30.intoMemorySegment(c, r3, LE);
        c31.intoMemorySegment(c, r3 + VB, LE);
        c40.intoMemorySegment(c, r4, LE);
        c41.intoMemorySegment(c, r4 + VB, LE);
        c50.intoMemorySegment(c, r5, LE);
        c51.intoMemorySegment(c, r5 + VB, LE);
    }

    /** {@code f32_gemm_1x2v}: one row of C (the rows left after 6-row tiles). */
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
            float alpha) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
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
}
