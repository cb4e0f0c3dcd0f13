package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code x32_repeat_elements__vf}: every 4-byte element of a run repeated {@code f} times, {@code
 * y[i·f + j] = x[i]} for {@code j < f}: the inner axis of nearest-neighbour upsampling by a whole
 * factor (Resize in a detector's feature pyramid, lowered to {@code expand} of a unit axis). One
 * vector of x gives {@code f} vectors of y, output vector {@code k} lane {@code j} taking x's lane
 * {@code (k·VL + j) / f}: one single-source permute ({@code vpermps}) per output vector, where the
 * generated loop moved one element per iteration through a two-element inner loop. Elements are
 * moved as bits (loads, permutes, stores), so any 4-byte type is exact.
 */
public final class RepeatElements {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    /** Factors up to this use the vector permutes; larger ones (not seen in models) copy one element at a time. */
    static final int MAX_VECTOR_FACTOR = 8;

    /** {@code INDEX[f][k·VL + j] = (k·VL + j) / f}: the permute of output vector k (as floats, for selectFrom). */
    private static final float[][] INDEX = new float[MAX_VECTOR_FACTOR + 1][];

    static {
        for (int f = 1; f <= MAX_VECTOR_FACTOR; f++) {
            INDEX[f] = new float[f * VL];
            for (int i = 0; i < f * VL; i++) {
                INDEX[f][i] = i / f;
            }
        }
    }

    private RepeatElements() {}

    /**
     * {@code y[yOff + i·f + j] = x[xOff + i]} for {@code i < n}, {@code j < f}; offsets in elements.
     * The two regions must not overlap.
     */
    public static void run(MemorySegment x, long xOff, MemorySegment y, long yOff, long n, int f) {
        long full = f >= 2 && f <= MAX_VECTOR_FACTOR ? n - n % VL : 0;
        if (f == 2) {
            pairs(x, xOff * 4, y, yOff * 4, full);
        } else if (full > 0) {
            vectors(x, xOff * 4, y, yOff * 4, full, f);
        }
        scalar(x, xOff, y, yOff, full, n, f);
    }

    /** Factor 2, the common case, with both permutes in registers: {@code full} elements from byte {@code xAt}. */
    private static void pairs(MemorySegment x, long xAt, MemorySegment y, long yAt, long full) {
        FloatVector lo = FloatVector.fromArray(S, INDEX[2], 0);
        FloatVector hi = FloatVector.fromArray(S, INDEX[2], VL);
        for (long i = 0; i < full; i += VL) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, xAt + i * 4, LE);
            lo.selectFrom(v).intoMemorySegment(y, yAt + i * 8, LE);
            hi.selectFrom(v).intoMemorySegment(y, yAt + i * 8 + VL * 4L, LE);
        }
    }

    /** Any factor up to {@link #MAX_VECTOR_FACTOR}: {@code f} permutes per vector of x. */
    private static void vectors(MemorySegment x, long xAt, MemorySegment y, long yAt, long full, int f) {
        float[] index = INDEX[f];
        for (long i = 0; i < full; i += VL) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, xAt + i * 4, LE);
            long out = yAt + i * f * 4;
            for (int k = 0; k < f; k++) {
                FloatVector.fromArray(S, index, k * VL).selectFrom(v).intoMemorySegment(y, out + k * VL * 4L, LE);
            }
        }
    }

    /** Elements {@code from..n} one at a time (the tail, or every element for large factors). */
    private static void scalar(MemorySegment x, long xOff, MemorySegment y, long yOff, long from, long n, int f) {
        for (long i = from; i < n; i++) {
            int v = x.get(I32, (xOff + i) * 4);
            for (int j = 0; j < f; j++) {
                y.set(I32, (yOff + i * f + j) * 4, v);
            }
        }
    }
}
