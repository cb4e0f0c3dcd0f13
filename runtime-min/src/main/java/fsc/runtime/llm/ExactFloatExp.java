package fsc.runtime.llm;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code (float) Math.exp(x)} of floats, sixteen at a time, with exactly the bits of that expression:
 * the f16 flash attention's softmax ({@link F16FlashTiles}) must match the scalar emulation, which
 * is llama.cpp's {@code expf} as fsc reproduces it.
 *
 * <p>Why the bits are the same: a lane's e^x is computed in double (x = n·ln 2 + r, |r| ≤ ln 2 / 2,
 * e^r by its Taylor polynomial to degree 12, times 2^n exactly), within ~10 double ulps of e^x;
 * {@code Math.exp} is within 1 (its specification). Two doubles that close round to different
 * floats only if a float rounding boundary (a midpoint between two floats) lies between them, so
 * where the double result is farther than {@link #GUARD} double ulps from every midpoint, both
 * round to the same float; a lane nearer one (about 1 in 65,000), and every lane whose result
 * would not be a normal float (x below -87, NaN, x above 0), is computed by {@code Math.exp}
 * itself. {@code ExactFloatExpTest} checks every float in [-104, 0] against the expression.
 */
final class ExactFloatExp {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;
    private static final VectorMask<Float> LOW_HALF = VectorMask.fromLong(F, 0x00FF);
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(F, 0xFF00);
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** Lanes below this go to {@code Math.exp}: e^-87 ≈ 1.6e-38 is still a normal float. */
    private static final float LOWEST = -87f;
    /** Double ulps a result must keep from a float midpoint (the low 29 bits of its mantissa = 2^28). */
    static final long GUARD = 4096;

    private static final long LOW_BITS = (1L << 29) - 1;
    private static final long MIDPOINT = 1L << 28;

    private static final double INV_LN2 = 1.4426950408889634;
    /** ln 2 in two parts, the first with 32 trailing zero bits, so n · LN2_HI is exact for |n| < 2^20. */
    private static final double LN2_HI = 6.93147180369123816490e-01;

    private static final double LN2_LO = 1.90821492927058770002e-10;
    /** 1.5 · 2^52: adding it rounds to an integer, which then sits in the low bits of the sum. */
    private static final double SHIFTER = 0x1.8p52;

    /** 1/k! for k = 12 down to 2 (the terms 1 + r are added last). */
    private static final double[] TAYLOR = new double[11];

    static {
        double f = 1;
        for (int k = 2; k <= 12; k++) {
            f *= k;
            TAYLOR[12 - k] = 1 / f;
        }
    }

    private ExactFloatExp() {}

    /** Replaces each of the {@code count} floats at byte {@code at} of {@code seg} with {@code (float) Math.exp} of it. */
    static void inPlace(MemorySegment seg, long at, int count) {
        int i = 0;
        for (; i <= count - F.length(); i += F.length()) {
            long offset = at + 4L * i;
            if (!sixteen(seg, offset)) {
                scalar(seg, offset, F.length());
            }
        }
        scalar(seg, at + 4L * i, count - i);
    }

    /**
     * Replaces the sixteen floats at {@code offset} by their exps and returns true, or returns false
     * (writing nothing) when some lane needs {@code Math.exp}. Each half is widened to eight doubles.
     * The floats are read and written as the preferred 16-lane species the other kernels use: a
     * second float shape at the shared Vector API call sites made their profiles polymorphic, and
     * then a depthwise convolution elsewhere in the process boxed its vectors. No vector crosses a
     * call (it would be boxed).
     */
    private static boolean sixteen(MemorySegment seg, long offset) {
        FloatVector x = FloatVector.fromMemorySegment(F, seg, offset, ORDER);
        VectorMask<Float> normal = x.compare(VectorOperators.GE, LOWEST).and(x.compare(VectorOperators.LE, 0f));
        if (!normal.allTrue()) {
            return false;
        }
        FloatVector e = FloatVector.zero(F);
        for (int part = 0; part < 2; part++) {
            DoubleVector d = (DoubleVector) x.convertShape(VectorOperators.F2D, D, part);
            DoubleVector t = d.fma(INV_LN2, SHIFTER);
            DoubleVector n = t.sub(SHIFTER);
            DoubleVector r = n.fma(DoubleVector.broadcast(D, -LN2_HI), d);
            r = n.fma(DoubleVector.broadcast(D, -LN2_LO), r);
            DoubleVector one = DoubleVector.broadcast(D, 1);
            DoubleVector p = DoubleVector.broadcast(D, TAYLOR[0]);
            for (int k = 1; k < TAYLOR.length; k++) {
                p = p.fma(r, DoubleVector.broadcast(D, TAYLOR[k]));
            }
            p = p.fma(r, one).fma(r, one);
            // 2^n from n in the shifted sum's low bits: (bits(t) + 1023) << 52, the shifter's bits shifted out.
            DoubleVector scale = t.reinterpretAsLongs()
                    .add(1023)
                    .lanewise(VectorOperators.LSHL, 52)
                    .reinterpretAsDoubles();
            DoubleVector y = p.mul(scale);
            LongVector fromMidpoint =
                    y.reinterpretAsLongs().and(LOW_BITS).sub(MIDPOINT).lanewise(VectorOperators.ABS);
            if (fromMidpoint.compare(VectorOperators.LE, GUARD).anyTrue()) {
                return false;
            }
            // Part 0 fills lanes 0-7 and part -1 lanes 8-15, the other lanes zero.
            FloatVector half = (FloatVector) y.convertShape(VectorOperators.D2F, F, -part);
            e = e.blend(half, part == 0 ? LOW_HALF : HIGH_HALF);
        }
        e.intoMemorySegment(seg, offset, ORDER);
        return true;
    }

    private static void scalar(MemorySegment seg, long offset, int count) {
        for (int j = 0; j < count; j++) {
            long o = offset + 4L * j;
            seg.set(LlmKernels.F32, o, (float) Math.exp(seg.get(LlmKernels.F32, o)));
        }
    }
}
