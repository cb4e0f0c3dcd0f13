package fsc.runtime.quant;

import static fsc.runtime.quant.QuantDot.I;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * A weight row's f16 block scales as floats, converted a vector of blocks at a time before the row's
 * block loop. Converting each scale inside the loop ({@code Float.float16ToFloat}: a move to a vector
 * register, {@code vcvtph2ps}, a broadcast) took ~3 of the ~11 vector uops per Q4_0 block, on the
 * same two ports as the unpacking and FMAs; here the scales are gathered by plain loads, converted 16
 * at a time on int lanes, and the block loop broadcasts each from memory. The floats are exactly
 * {@code Float.float16ToFloat}'s (subnormals, signed zeros, infinities and NaN payloads included;
 * {@code HalfScalesTest} checks all 65,536), so a kernel's results do not change.
 */
final class HalfScales {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The gathered f16 bits and their floats, per thread, grown to the widest row seen. */
    private int[] bits = new int[0];

    private float[] values = new float[0];

    private static final ThreadLocal<HalfScales> SCRATCH = ThreadLocal.withInitial(HalfScales::new);

    private HalfScales() {}

    /** This thread's scratch, able to hold {@code count} scales. */
    static HalfScales scratch(int count) {
        HalfScales s = SCRATCH.get();
        if (s.values.length < count) {
            // Rounded up to whole vectors so the conversion loop needs no tail.
            int n = (count + I.length() - 1) / I.length() * I.length();
            s.bits = new int[n];
            s.values = new float[n];
        }
        return s;
    }

    /** The floats the last {@link #convert} wrote (read only the count it was given). */
    float[] values() {
        return values;
    }

    /**
     * The {@code count} f16 values at bytes {@code at, at + stride, ...} of {@code w} as floats, to
     * {@link #values()}. A plain loop over short loads (C2 keeps them on the load ports), then the
     * conversion on int lanes: magnitude bits shifted into a float's place and scaled by 2^112
     * (exact for normal and subnormal halves alike), exponent 31 mapped to infinity/NaN with its
     * payload and, as {@code float16ToFloat} does, a NaN made quiet; sign or'ed back.
     */
    void convert(MemorySegment w, long at, long stride, int count) {
        int[] h = bits;
        for (int i = 0; i < count; i++) {
            h[i] = w.get(I16, at + stride * i);
        }
        for (int i = 0; i < count; i += I.length()) {
            IntVector v = IntVector.fromArray(I, h, i);
            IntVector magnitude = v.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
            IntVector finite = magnitude.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            VectorMask<Integer> special = v.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
            VectorMask<Integer> nan = v.and(0x7fff).compare(VectorOperators.GT, 0x7c00);
            IntVector f = finite.blend(magnitude.or(0x7f800000), special).lanewise(VectorOperators.OR, 0x400000, nan);
            f.or(v.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                    .reinterpretAsFloats()
                    .intoArray(values, i);
        }
    }
}
