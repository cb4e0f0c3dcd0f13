package fsc.runtime.llm;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PagedAttention}'s register-blocked kernels for a head of exactly four vectors (head 64 on
 * AVX-512): four query heads of a group per pass over a cache block, so each K or V row is loaded
 * once for the four and their sixteen query (or output) vectors stay in registers. Per head the
 * operations are the generic loop's, in its order, so results are bit-identical to it.
 */
final class AttentionTiles {
    private static final VectorSpecies<Float> ATT = FloatVector.SPECIES_PREFERRED;

    private AttentionTiles() {}

    /**
     * The attention scores of four heads of a group over positions {@code j0..j1} of one
     * block, when a head is exactly four vectors (head 64 on AVX-512). Each K row is loaded once for
     * the four heads, whose sixteen query vectors stay in registers, and there is no inner loop over
     * the head's vectors. The generic loop (a trip count C2 does not know, and a bounds-checked
     * segment load per head and vector, its row stride not a constant so the checks stay in the
     * loop) cost ~50 cycles per (head, position): most of a decode step's attention at 2,048
     * positions. Per head the FMAs and the lane sum are the generic loop's, in its order, so the
     * scores are bit-identical.
     */
    static void scores4x4(
            float[] qh,
            int qo,
            MemorySegment cache,
            long rows,
            long rowStride,
            float[] scores,
            int so,
            int len,
            int j0,
            int j1,
            float scale) {
        int lanes = ATT.length();
        int hd = 4 * lanes;
        FloatVector q00 = FloatVector.fromArray(ATT, qh, qo);
        FloatVector q01 = FloatVector.fromArray(ATT, qh, qo + lanes);
        FloatVector q02 = FloatVector.fromArray(ATT, qh, qo + 2 * lanes);
        FloatVector q03 = FloatVector.fromArray(ATT, qh, qo + 3 * lanes);
        FloatVector q10 = FloatVector.fromArray(ATT, qh, qo + hd);
        FloatVector q11 = FloatVector.fromArray(ATT, qh, qo + hd + lanes);
        FloatVector q12 = FloatVector.fromArray(ATT, qh, qo + hd + 2 * lanes);
        FloatVector q13 = FloatVector.fromArray(ATT, qh, qo + hd + 3 * lanes);
        FloatVector q20 = FloatVector.fromArray(ATT, qh, qo + 2 * hd);
        FloatVector q21 = FloatVector.fromArray(ATT, qh, qo + 2 * hd + lanes);
        FloatVector q22 = FloatVector.fromArray(ATT, qh, qo + 2 * hd + 2 * lanes);
        FloatVector q23 = FloatVector.fromArray(ATT, qh, qo + 2 * hd + 3 * lanes);
        FloatVector q30 = FloatVector.fromArray(ATT, qh, qo + 3 * hd);
        FloatVector q31 = FloatVector.fromArray(ATT, qh, qo + 3 * hd + lanes);
        FloatVector q32 = FloatVector.fromArray(ATT, qh, qo + 3 * hd + 2 * lanes);
        FloatVector q33 = FloatVector.fromArray(ATT, qh, qo + 3 * hd + 3 * lanes);
        long step = 4L * lanes;
        FloatVector zero = FloatVector.zero(ATT);
        for (int j = j0; j < j1; j++) {
            long key = rows + rowStride * (j - j0);
            FloatVector k0 = FloatVector.fromMemorySegment(ATT, cache, key, ByteOrder.LITTLE_ENDIAN);
            FloatVector k1 = FloatVector.fromMemorySegment(ATT, cache, key + step, ByteOrder.LITTLE_ENDIAN);
            FloatVector k2 = FloatVector.fromMemorySegment(ATT, cache, key + 2 * step, ByteOrder.LITTLE_ENDIAN);
            FloatVector k3 = FloatVector.fromMemorySegment(ATT, cache, key + 3 * step, ByteOrder.LITTLE_ENDIAN);
            FloatVector a0 = q03.fma(k3, q02.fma(k2, q01.fma(k1, q00.fma(k0, zero))));
            FloatVector a1 = q13.fma(k3, q12.fma(k2, q11.fma(k1, q10.fma(k0, zero))));
            FloatVector a2 = q23.fma(k3, q22.fma(k2, q21.fma(k1, q20.fma(k0, zero))));
            FloatVector a3 = q33.fma(k3, q32.fma(k2, q31.fma(k1, q30.fma(k0, zero))));
            // Lanes' tree, inline, for the four heads: four Lanes.sum calls here made C2 stop
            // inlining (NodeCountInliningCutoff) and box a vector per score.
            for (int h = lanes / 2; h > 0; h /= 2) {
                a0 = a0.add(a0.rearrange(VectorMath.ROTATE[h]));
                a1 = a1.add(a1.rearrange(VectorMath.ROTATE[h]));
                a2 = a2.add(a2.rearrange(VectorMath.ROTATE[h]));
                a3 = a3.add(a3.rearrange(VectorMath.ROTATE[h]));
            }
            scores[so + j] = a0.lane(0) * scale;
            scores[so + len + j] = a1.lane(0) * scale;
            scores[so + 2 * len + j] = a2.lane(0) * scale;
            scores[so + 3 * len + j] = a3.lane(0) * scale;
        }
    }

    /**
     * The weighted sums of V rows for four heads of a group over positions {@code j0..j1}
     * of one block (head of four vectors): each V row is loaded once for the four heads, whose
     * sixteen output vectors stay in registers across the block. Per output lane the positions
     * are added in ascending order onto the sums of the earlier blocks, as in the generic loop, so
     * the outputs are bit-identical.
     */
    static void values4x4(
            float[] scores,
            int so,
            int len,
            MemorySegment cache,
            long rows,
            long rowStride,
            float[] sums,
            int o,
            int j0,
            int j1) {
        int lanes = ATT.length();
        int hd = 4 * lanes;
        FloatVector a00 = FloatVector.fromArray(ATT, sums, o);
        FloatVector a01 = FloatVector.fromArray(ATT, sums, o + lanes);
        FloatVector a02 = FloatVector.fromArray(ATT, sums, o + 2 * lanes);
        FloatVector a03 = FloatVector.fromArray(ATT, sums, o + 3 * lanes);
        FloatVector a10 = FloatVector.fromArray(ATT, sums, o + hd);
        FloatVector a11 = FloatVector.fromArray(ATT, sums, o + hd + lanes);
        FloatVector a12 = FloatVector.fromArray(ATT, sums, o + hd + 2 * lanes);
        FloatVector a13 = FloatVector.fromArray(ATT, sums, o + hd + 3 * lanes);
        FloatVector a20 = FloatVector.fromArray(ATT, sums, o + 2 * hd);
        FloatVector a21 = FloatVector.fromArray(ATT, sums, o + 2 * hd + lanes);
        FloatVector a22 = FloatVector.fromArray(ATT, sums, o + 2 * hd + 2 * lanes);
        FloatVector a23 = FloatVector.fromArray(ATT, sums, o + 2 * hd + 3 * lanes);
        FloatVector a30 = FloatVector.fromArray(ATT, sums, o + 3 * hd);
        FloatVector a31 = FloatVector.fromArray(ATT, sums, o + 3 * hd + lanes);
        FloatVector a32 = FloatVector.fromArray(ATT, sums, o + 3 * hd + 2 * lanes);
        FloatVector a33 = FloatVector.fromArray(ATT, sums, o + 3 * hd + 3 * lanes);
        long step = 4L * lanes;
        for (int j = j0; j < j1; j++) {
            long row = rows + rowStride * (j - j0);
            FloatVector v0 = FloatVector.fromMemorySegment(ATT, cache, row, ByteOrder.LITTLE_ENDIAN);
            FloatVector v1 = FloatVector.fromMemorySegment(ATT, cache, row + step, ByteOrder.LITTLE_ENDIAN);
            FloatVector v2 = FloatVector.fromMemorySegment(ATT, cache, row + 2 * step, ByteOrder.LITTLE_ENDIAN);
            FloatVector v3 = FloatVector.fromMemorySegment(ATT, cache, row + 3 * step, ByteOrder.LITTLE_ENDIAN);
            FloatVector s = FloatVector.broadcast(ATT, scores[so + j]);
            a00 = v0.fma(s, a00);
            a01 = v1.fma(s, a01);
            a02 = v2.fma(s, a02);
            a03 = v3.fma(s, a03);
            s = FloatVector.broadcast(ATT, scores[so + len + j]);
            a10 = v0.fma(s, a10);
            a11 = v1.fma(s, a11);
            a12 = v2.fma(s, a12);
            a13 = v3.fma(s, a13);
            s = FloatVector.broadcast(ATT, scores[so + 2 * len + j]);
            a20 = v0.fma(s, a20);
            a21 = v1.fma(s, a21);
            a22 = v2.fma(s, a22);
            a23 = v3.fma(s, a23);
            s = FloatVector.broadcast(ATT, scores[so + 3 * len + j]);
            a30 = v0.fma(s, a30);
            a31 = v1.fma(s, a31);
            a32 = v2.fma(s, a32);
            a33 = v3.fma(s, a33);
        }
        a00.intoArray(sums, o);
        a01.intoArray(sums, o + lanes);
        a02.intoArray(sums, o + 2 * lanes);
        a03.intoArray(sums, o + 3 * lanes);
        a10.intoArray(sums, o + hd);
        a11.intoArray(sums, o + hd + lanes);
        a12.intoArray(sums, o + hd + 2 * lanes);
        a13.intoArray(sums, o + hd + 3 * lanes);
        a20.intoArray(sums, o + 2 * hd);
        a21.intoArray(sums, o + 2 * hd + lanes);
        a22.intoArray(sums, o + 2 * hd + 2 * lanes);
        a23.intoArray(sums, o + 2 * hd + 3 * lanes);
        a30.intoArray(sums, o + 3 * hd);
        a31.intoArray(sums, o + 3 * hd + lanes);
        a32.intoArray(sums, o + 3 * hd + 2 * lanes);
        a33.intoArray(sums, o + 3 * hd + 3 * lanes);
    }
}
