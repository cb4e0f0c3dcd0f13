package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code s8_gemm_8x2v__f32fma}: the register tile of {@link Int8Gemm}. Eight rows of A (centred,
 * widened to f32 and packed by the prologue) times one panel of {@code 2 × VL} s8 columns of B,
 * whose current block of k {@link #widen} has widened to f32 once for all row tiles; sixteen f32
 * accumulators updated with FMA, as in {@link SgemmMicroKernels#kernel8}.
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
     * {@code s8_gemm_8x2v__f32fma}: eight rows of A packed by the prologue ({@code ap[ao + kk · 8 + r]},
     * the eight values of one k adjacent, as {@link SgemmMicroKernels#kernel8} reads them) times the
     * panel's widened block of B ({@code bw}, {@code NR} floats per k, see {@link #widen}): two vector
     * loads, eight broadcasts and sixteen FMAs per k, one A index and one B index linear in {@code
     * kk}. The tile is {@code tile[to + r * NR + j]}.
     */
    static void kernel8p(int kc, float[] ap, int ao, float[] bw, int[] tile, int to, boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        int bk = 0;
        int at = ao;
        for (int kk = 0; kk < kc; kk++, bk += NR, at += 8) {
            FloatVector b0 = FloatVector.fromArray(F, bw, bk);
            FloatVector b1 = FloatVector.fromArray(F, bw, bk + VL);
            FloatVector x = FloatVector.broadcast(F, ap[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, ap[at + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, ap[at + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, ap[at + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, ap[at + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, ap[at + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            x = FloatVector.broadcast(F, ap[at + 6]);
            c60 = b0.fma(x, c60);
            c61 = b1.fma(x, c61);
            x = FloatVector.broadcast(F, ap[at + 7]);
            c70 = b0.fma(x, c70);
            c71 = b1.fma(x, c71);
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
            ((IntVector) c60.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 6 * NR);
            ((IntVector) c61.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 6 * NR + VL);
            ((IntVector) c70.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 7 * NR);
            ((IntVector) c71.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 7 * NR + VL);
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
            ((IntVector) c60.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 6 * NR))
                    .intoArray(tile, to + 6 * NR);
            ((IntVector) c61.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 6 * NR + VL))
                    .intoArray(tile, to + 6 * NR + VL);
            ((IntVector) c70.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 7 * NR))
                    .intoArray(tile, to + 7 * NR);
            ((IntVector) c71.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 7 * NR + VL))
                    .intoArray(tile, to + 7 * NR + VL);
        }
    }

    /** At 128-bit vectors B is the 64-bit byte species: one load holds two float vectors' lanes. */
    private static final boolean B_TWO_VECTORS = B.length() == 2 * VL;

    /**
     * Widens {@code count} s8 of B (a multiple of {@code NR}) at byte {@code bo} to f32 in {@code
     * bw[0..count)}. At 128 bits a load of B's 8 bytes is widened as its two halves: loading 8 bytes
     * per VL = 4 step read 4 bytes past a panel that ends its segment.
     */
    static void widen(MemorySegment b, long bo, int count, float[] bw) {
        if (B_TWO_VECTORS) {
            for (int i = 0; i < count; i += 2 * VL) {
                ByteVector v = ByteVector.fromMemorySegment(B, b, bo + i, LE);
                ((FloatVector) v.convertShape(VectorOperators.B2F, F, 0)).intoArray(bw, i);
                ((FloatVector) v.convertShape(VectorOperators.B2F, F, 1)).intoArray(bw, i + VL);
            }
            return;
        }
        for (int i = 0; i < count; i += VL) {
            ((FloatVector) ByteVector.fromMemorySegment(B, b, bo + i, LE).convertShape(VectorOperators.B2F, F, 0))
                    .intoArray(bw, i);
        }
    }
}
