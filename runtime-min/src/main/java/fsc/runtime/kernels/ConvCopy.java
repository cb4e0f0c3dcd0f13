package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The copies a convolution makes of its input (im2col's panel rows, {@link ConvBand}'s padded
 * planes): contiguous runs, stride-2 runs and zero runs, each a loop over memory with a masked last
 * vector. Only scalars and segments cross these calls (see {@link ConvRowEpilogue} for why).
 */
final class ConvCopy {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** Lane i holds 2i: the even lanes of two concatenated vectors, for {@code selectFrom}. */
    private static final float[] EVEN_LANES = evenLanes();

    private ConvCopy() {}

    private static float[] evenLanes() {
        float[] e = new float[VL];
        for (int i = 0; i < VL; i++) {
            e[i] = 2 * i;
        }
        return e;
    }

    /** {@code count} contiguous floats from {@code src} at byte {@code from} to {@code dst} at {@code to}. */
    static void copy(MemorySegment src, long from, MemorySegment dst, long to, int count) {
        int t = 0;
        for (; t + VL <= count; t += VL) {
            FloatVector.fromMemorySegment(S, src, from + (long) t * 4, LE)
                    .intoMemorySegment(dst, to + (long) t * 4, LE);
        }
        if (t < count) {
            VectorMask<Float> m = S.indexInRange(t, count);
            FloatVector.fromMemorySegment(S, src, from + (long) t * 4, LE, m)
                    .intoMemorySegment(dst, to + (long) t * 4, LE, m);
        }
    }

    /**
     * {@code count} floats of {@code src} at stride 2 (every other float from {@code from}): each
     * vector of outputs is the even lanes of two loaded vectors, picked by one two-source permute
     * ({@code selectFrom}, {@code vpermt2ps} on AVX-512) instead of a scalar load and store per
     * float. Loads never reach past the last float the run reads: full vectors run while another
     * output follows, and the last one to {@code VL} outputs is masked.
     */
    static void copyStride2(MemorySegment src, long from, MemorySegment dst, long to, int count) {
        if (count <= 0) {
            return;
        }
        FloatVector even = FloatVector.fromArray(S, EVEN_LANES, 0);
        int t = 0;
        for (; t + VL < count; t += VL) {
            long f = from + 8L * t;
            FloatVector v0 = FloatVector.fromMemorySegment(S, src, f, LE);
            FloatVector v1 = FloatVector.fromMemorySegment(S, src, f + VL * 4L, LE);
            even.selectFrom(v0, v1).intoMemorySegment(dst, to + t * 4L, LE);
        }
        int need = 2 * (count - t) - 1;
        long f = from + 8L * t;
        FloatVector v0 = FloatVector.fromMemorySegment(S, src, f, LE, S.indexInRange(0, need));
        FloatVector v1 = FloatVector.fromMemorySegment(S, src, f + VL * 4L, LE, S.indexInRange(VL, need));
        even.selectFrom(v0, v1).intoMemorySegment(dst, to + t * 4L, LE, S.indexInRange(0, count - t));
    }

    /** {@code count} floats of {@code src} at stride {@code stride} (any), one at a time. */
    static void copyStrided(MemorySegment src, long from, int stride, MemorySegment dst, long to, int count) {
        for (int t = 0; t < count; t++) {
            dst.set(F32, to + (long) t * 4, src.get(F32, from + (long) t * stride * 4));
        }
    }

    /** {@code count} zeros at byte {@code to}. */
    static void zero(MemorySegment dst, long to, int count) {
        FloatVector z = FloatVector.zero(S);
        int t = 0;
        for (; t + VL <= count; t += VL) {
            z.intoMemorySegment(dst, to + (long) t * 4, LE);
        }
        if (t < count) {
            z.intoMemorySegment(dst, to + (long) t * 4, LE, S.indexInRange(t, count));
        }
    }
}
