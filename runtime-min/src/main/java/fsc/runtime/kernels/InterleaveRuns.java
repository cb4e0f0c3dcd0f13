package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code x32_interleave_runs__vf}: {@code f} runs of 4-byte elements, {@code stride} apart in x,
 * interleaved into y: {@code y[i·f + j] = x[j·stride + i]}. Two layout moves the CNN lowerings
 * generate as a transpose or expand whose two inner dimensions are a run and an {@code f}-wide axis:
 *
 * <ul>
 *   <li>{@code stride = 0}, every element repeated {@code f} times: the inner axis of nearest
 *       upsampling by a whole factor (Resize, lowered to {@code expand} of a unit axis). One vector
 *       of x gives {@code f} vectors of y, output vector {@code k} lane {@code l} taking x's lane
 *       {@code (k·VL + l) / f}: one single-source permute ({@code vpermps}) per output vector.
 *   <li>{@code f = 2}, two runs zipped: ConvTranspose's depth-to-space (kernel = stride = 2, the
 *       patch's column axis {@code kx} innermost). One vector of each run gives two vectors of y by
 *       two two-source permutes ({@code vpermt2ps}).
 * </ul>
 *
 * Other cases copy one element at a time, as the generated loops did (one element per iteration of
 * an {@code f}-trip inner loop). Elements are moved as bits (loads, permutes, stores), so any 4-byte
 * type is exact.
 */
public final class InterleaveRuns {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    /** Repeat factors up to this use the vector permutes; larger ones (not seen in models) go element by element. */
    public static final int MAX_VECTOR_FACTOR = 8;

    /** {@code REPEAT[f][k·VL + l] = (k·VL + l) / f}: the permute of output vector k (as floats, for selectFrom). */
    private static final float[][] REPEAT = new float[MAX_VECTOR_FACTOR + 1][];

    /** {@code ZIP[k·VL + l]}: output vector k lane l of two zipped runs, lane {@code (k·VL + l) / 2} of run {@code l % 2}. */
    private static final float[] ZIP = new float[2 * VL];

    static {
        for (int f = 1; f <= MAX_VECTOR_FACTOR; f++) {
            REPEAT[f] = new float[f * VL];
            for (int i = 0; i < f * VL; i++) {
                REPEAT[f][i] = i / f;
            }
        }
        for (int i = 0; i < 2 * VL; i++) {
            // selectFrom(a, b) numbers a's lanes 0..VL-1 and b's VL..2VL-1.
            ZIP[i] = i / 2 + (i % 2) * VL;
        }
    }

    private InterleaveRuns() {}

    /**
     * {@code y[yOff + i·f + j] = x[xOff + j·stride + i]} for {@code i < n}, {@code j < f}; offsets and
     * stride in elements. y must not overlap x.
     */
    public static void run(MemorySegment x, long xOff, long stride, MemorySegment y, long yOff, long n, int f) {
        long full = 0;
        if (stride == 0 && f >= 2 && f <= MAX_VECTOR_FACTOR) {
            full = n - n % VL;
            if (f == 2) {
                repeatPairs(x, xOff * 4, y, yOff * 4, full);
            } else {
                repeat(x, xOff * 4, y, yOff * 4, full, f);
            }
        } else if (f == 2) {
            full = n - n % VL;
            zip(x, xOff * 4, stride * 4, y, yOff * 4, full);
        }
        scalar(x, xOff, stride, y, yOff, full, n, f);
    }

    /** Factor 2, the common repeat, with both permutes in registers: {@code full} elements from byte {@code xAt}. */
    private static void repeatPairs(MemorySegment x, long xAt, MemorySegment y, long yAt, long full) {
        FloatVector lo = FloatVector.fromArray(S, REPEAT[2], 0);
        FloatVector hi = FloatVector.fromArray(S, REPEAT[2], VL);
        for (long i = 0; i < full; i += VL) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, xAt + i * 4, LE);
            lo.selectFrom(v).intoMemorySegment(y, yAt + i * 8, LE);
            hi.selectFrom(v).intoMemorySegment(y, yAt + i * 8 + VL * 4L, LE);
        }
    }

    /** Any repeat factor up to {@link #MAX_VECTOR_FACTOR}: {@code f} permutes per vector of x. */
    private static void repeat(MemorySegment x, long xAt, MemorySegment y, long yAt, long full, int f) {
        float[] index = REPEAT[f];
        for (long i = 0; i < full; i += VL) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, xAt + i * 4, LE);
            long out = yAt + i * f * 4;
            for (int k = 0; k < f; k++) {
                FloatVector.fromArray(S, index, k * VL).selectFrom(v).intoMemorySegment(y, out + k * VL * 4L, LE);
            }
        }
    }

    /** Two runs {@code strideBytes} apart zipped: {@code full} elements of each from byte {@code xAt}. */
    private static void zip(MemorySegment x, long xAt, long strideBytes, MemorySegment y, long yAt, long full) {
        FloatVector lo = FloatVector.fromArray(S, ZIP, 0);
        FloatVector hi = FloatVector.fromArray(S, ZIP, VL);
        for (long i = 0; i < full; i += VL) {
            FloatVector a = FloatVector.fromMemorySegment(S, x, xAt + i * 4, LE);
            FloatVector b = FloatVector.fromMemorySegment(S, x, xAt + strideBytes + i * 4, LE);
            lo.selectFrom(a, b).intoMemorySegment(y, yAt + i * 8, LE);
            hi.selectFrom(a, b).intoMemorySegment(y, yAt + i * 8 + VL * 4L, LE);
        }
    }

    /** Elements {@code from..n} one at a time (the tail, or every element where no vector path applies). */
    private static void scalar(
            MemorySegment x, long xOff, long stride, MemorySegment y, long yOff, long from, long n, int f) {
        for (long i = from; i < n; i++) {
            for (int j = 0; j < f; j++) {
                y.set(I32, (yOff + i * f + j) * 4, x.get(I32, (xOff + j * stride + i) * 4));
            }
        }
    }
}
