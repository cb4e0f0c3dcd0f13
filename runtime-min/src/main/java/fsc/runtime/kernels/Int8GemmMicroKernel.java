package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code s8_gemm_6x2v__f32fma}: the register tile of {@link Int8Gemm}. Six rows of A (already
 * centred and widened to f32 by the prologue) times one panel of {@code 2 × VL} s8 columns of B,
 * twelve f32 accumulators updated with FMA; each k step loads {@code NR} bytes of B once and widens
 * them to two float vectors, which the six rows then share.
 *
 * <p>Why floats for an integer product: on this JDK the Vector API has no byte dot-product
 * ({@code vpdpbusd}/{@code vpmaddwd}) and widening through shorts costs five instructions per 32
 * products against two FMAs (see docs/PERFORMANCE-INT8.md). The float sums are exact: every
 * product is an integer of magnitude at most {@code 255 × 128 = 32640}, so {@value Int8Gemm#KC}
 * of them stay below 2^24, and after each block of k the tile is converted to int and added to
 * the int32 accumulator. The result is the exact int32 sum ONNX specifies.
 */
final class Int8GemmMicroKernel {
    private static final VectorSpecies<Float> F = Int8Gemm.FS;
    private static final VectorSpecies<Integer> I = Int8Gemm.IS;
    private static final VectorSpecies<Byte> B = Int8Gemm.AS;
    private static final java.nio.ByteOrder LE = java.nio.ByteOrder.LITTLE_ENDIAN;
    private static final int VL = Int8Gemm.VL;
    private static final int NR = Int8Gemm.NR;

    private Int8GemmMicroKernel() {}

    /**
     * Adds {@code sum_{kk < kc} a[r][kk] * b[kk][j]} to {@code tile[r * NR + j]} (or stores it when
     * {@code first}), for the six rows {@code r} of A starting at {@code af[ao]} (row stride
     * {@code lda} floats) and the panel of B at byte {@code bo} ({@code NR} bytes per k). Everything
     * stays in this one method so C2 keeps the vectors in registers.
     */
    static void kernel6(int kc, float[] af, int ao, int lda, MemorySegment b, long bo, int[] tile, boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        int a0 = ao, a1 = ao + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        long bk = bo;
        for (int kk = 0; kk < kc; kk++, bk += NR) {
            // Two loads of VL bytes, each widened lane for lane (vpmovsxbd + vcvtdq2ps): C2 does not
            // intrinsify part 1 of a widening convertShape, which would box every step.
            FloatVector b0 =
                    (FloatVector) ByteVector.fromMemorySegment(B, b, bk, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b1 = (FloatVector)
                    ByteVector.fromMemorySegment(B, b, bk + VL, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector x = FloatVector.broadcast(F, af[a0 + kk]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, af[a1 + kk]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, af[a2 + kk]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, af[a3 + kk]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, af[a4 + kk]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, af[a5 + kk]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        // The block's exact float sums as int32, stored or added to the tile. Written out rather than
        // a helper taking a vector: C2 does not inline into a method this large, and a vector passed
        // to a call that is not inlined is boxed (an allocation per call, per accumulator).
        if (first) {
            ((IntVector) c00.convert(VectorOperators.F2I, 0)).intoArray(tile, 0);
            ((IntVector) c01.convert(VectorOperators.F2I, 0)).intoArray(tile, VL);
            ((IntVector) c10.convert(VectorOperators.F2I, 0)).intoArray(tile, NR);
            ((IntVector) c11.convert(VectorOperators.F2I, 0)).intoArray(tile, NR + VL);
            ((IntVector) c20.convert(VectorOperators.F2I, 0)).intoArray(tile, 2 * NR);
            ((IntVector) c21.convert(VectorOperators.F2I, 0)).intoArray(tile, 2 * NR + VL);
            ((IntVector) c30.convert(VectorOperators.F2I, 0)).intoArray(tile, 3 * NR);
            ((IntVector) c31.convert(VectorOperators.F2I, 0)).intoArray(tile, 3 * NR + VL);
            ((IntVector) c40.convert(VectorOperators.F2I, 0)).intoArray(tile, 4 * NR);
            ((IntVector) c41.convert(VectorOperators.F2I, 0)).intoArray(tile, 4 * NR + VL);
            ((IntVector) c50.convert(VectorOperators.F2I, 0)).intoArray(tile, 5 * NR);
            ((IntVector) c51.convert(VectorOperators.F2I, 0)).intoArray(tile, 5 * NR + VL);
        } else {
            ((IntVector) c00.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, 0))
                    .intoArray(tile, 0);
            ((IntVector) c01.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, VL))
                    .intoArray(tile, VL);
            ((IntVector) c10.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, NR))
                    .intoArray(tile, NR);
            ((IntVector) c11.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, NR + VL))
                    .intoArray(tile, NR + VL);
            ((IntVector) c20.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, 2 * NR))
                    .intoArray(tile, 2 * NR);
            ((IntVector) c21.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, 2 * NR + VL))
                    .intoArray(tile, 2 * NR + VL);
            ((IntVector) c30.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, 3 * NR))
                    .intoArray(tile, 3 * NR);
            ((IntVector) c31.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, 3 * NR + VL))
                    .intoArray(tile, 3 * NR + VL);
            ((IntVector) c40.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, 4 * NR))
                    .intoArray(tile, 4 * NR);
            ((IntVector) c41.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, 4 * NR + VL))
                    .intoArray(tile, 4 * NR + VL);
            ((IntVector) c50.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, 5 * NR))
                    .intoArray(tile, 5 * NR);
            ((IntVector) c51.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, 5 * NR + VL))
                    .intoArray(tile, 5 * NR + VL);
        }
    }

    /**
     * {@link #kernel6} with the panel's block of B already widened to f32 ({@code bw}, {@code NR}
     * floats per k, see {@link #widen}), so the inner loop is SGEMM's: two vector loads and twelve
     * FMAs per k. {@link Int8Gemm} widens each block once per call and shares it across all row
     * tiles, instead of once per tile. The tile is {@code tile[to + r * NR + j]}.
     */
    static void kernel6f(int kc, float[] af, int ao, int lda, float[] bw, int[] tile, int to, boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        int a0 = ao, a1 = ao + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        int bk = 0;
        for (int kk = 0; kk < kc; kk++, bk += NR) {
            FloatVector b0 = FloatVector.fromArray(F, bw, bk);
            FloatVector b1 = FloatVector.fromArray(F, bw, bk + VL);
            FloatVector x = FloatVector.broadcast(F, af[a0 + kk]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, af[a1 + kk]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, af[a2 + kk]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, af[a3 + kk]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, af[a4 + kk]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, af[a5 + kk]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        // The block's exact float sums as int32, stored or added to the tile. Written out rather than
        // a helper taking a vector: C2 does not inline into a method this large, and a vector passed
        // to a call that is not inlined is boxed (an allocation per call, per accumulator).
        if (first) {
            ((IntVector) c00.convert(VectorOperators.F2I, 0)).intoArray(tile, to);
            ((IntVector) c01.convert(VectorOperators.F2I, 0)).intoArray(tile, to + VL);
            ((IntVector) c10.convert(VectorOperators.F2I, 0)).intoArray(tile, to + NR);
            ((IntVector) c11.convert(VectorOperators.F2I, 0)).intoArray(tile, to + NR + VL);
            ((IntVector) c20.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 2 * NR);
            ((IntVector) c21.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 2 * NR + VL);
            ((IntVector) c30.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 3 * NR);
            ((IntVector) c31.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 3 * NR + VL);
            ((IntVector) c40.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 4 * NR);
            ((IntVector) c41.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 4 * NR + VL);
            ((IntVector) c50.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 5 * NR);
            ((IntVector) c51.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 5 * NR + VL);
        } else {
            ((IntVector) c00.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to))
                    .intoArray(tile, to);
            ((IntVector) c01.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + VL))
                    .intoArray(tile, to + VL);
            ((IntVector) c10.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + NR))
                    .intoArray(tile, to + NR);
            ((IntVector) c11.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + NR + VL))
                    .intoArray(tile, to + NR + VL);
            ((IntVector) c20.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 2 * NR))
                    .intoArray(tile, to + 2 * NR);
            ((IntVector) c21.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 2 * NR + VL))
                    .intoArray(tile, to + 2 * NR + VL);
            ((IntVector) c30.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 3 * NR))
                    .intoArray(tile, to + 3 * NR);
            ((IntVector) c31.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 3 * NR + VL))
                    .intoArray(tile, to + 3 * NR + VL);
            ((IntVector) c40.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 4 * NR))
                    .intoArray(tile, to + 4 * NR);
            ((IntVector) c41.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 4 * NR + VL))
                    .intoArray(tile, to + 4 * NR + VL);
            ((IntVector) c50.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 5 * NR))
                    .intoArray(tile, to + 5 * NR);
            ((IntVector) c51.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 5 * NR + VL))
                    .intoArray(tile, to + 5 * NR + VL);
        }
    }

    /** Widens {@code count} s8 of B (a multiple of VL) at byte {@code bo} to f32 in {@code bw[0..count)}. */
    static void widen(MemorySegment b, long bo, int count, float[] bw) {
        for (int i = 0; i < count; i += VL) {
            ((FloatVector) ByteVector.fromMemorySegment(B, b, bo + i, LE).convertShape(VectorOperators.B2F, F, 0))
                    .intoArray(bw, i);
        }
    }
}
