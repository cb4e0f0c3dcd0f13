package fsc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code exp} and {@code tanh} on float vectors from IEEE-exact operations only, so every JIT tier
 * gives the same bits, and a scalar twin of each that gives the same bits as a lane.
 *
 * <p>The Vector API's {@code lanewise(EXP)} is an intrinsic in C2 (a vendor math stub) but
 * {@code Math.exp} per lane in the interpreter and C1: the two differ in the last bit for some
 * inputs, so a softmax or GELU rounded differently before and after warm-up. Here each step is an
 * add, multiply, fused multiply-add, integer shift or bit reinterpretation, which the Vector API
 * specifies exactly and every tier implements exactly.
 *
 * <p>exp, after Cephes' {@code expf} (S. L. Moshier): {@code n = round(x·log2 e)} by the
 * 1.5·2^23 shifter (the float add rounds to an integer and leaves n in the low mantissa bits),
 * {@code r = x − n·ln 2} with ln 2 split hi + lo (both steps fma, so r is exact to the lo term),
 * {@code e^r ≈ 1 + r + r²·P(r)} with Cephes' degree-5 minimax P on |r| ≤ ln2/2, then the result is
 * scaled by 2^n as two factors 2^⌊n/2⌋·2^(n−⌊n/2⌋), each a normal float built by shifting the
 * exponent bits, so results that underflow into subnormals round once. The input is clamped to
 * [−104, 88.8] first (outside it e^x is 0 or ∞ in float), which also keeps n within the bit tricks'
 * range; NaN propagates. Error ≤ 1 ulp against the correctly rounded value over the float range
 * (VectorExpTest).
 *
 * <p>tanh, after Cephes' {@code tanhf}: an odd minimax polynomial for |x| < 0.625, and
 * {@code 1 − 2/(e^(2|x|) + 1)} with the sign restored above it.
 */
public final class VectorExp {
    static final float LOG2E = 1.44269504088896341f;
    static final float SHIFTER = 0x1.8p23f;
    // ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n·LN2_HI is exact for |n| < 2^15.
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    static final float LO = -104f;
    static final float HI = 88.8f;
    static final float P0 = 5.0000001201e-1f;
    static final float P1 = 1.6666665459e-1f;
    static final float P2 = 4.1665795894e-2f;
    static final float P3 = 8.3334519073e-3f;
    static final float P4 = 1.3981999507e-3f;
    static final float P5 = 1.9875691500e-4f;
    private static final float TANH_SMALL = 0.625f;
    private static final float T0 = -3.33332819422e-1f;
    private static final float T1 = 1.33314422036e-1f;
    private static final float T2 = -5.37397155531e-2f;
    private static final float T3 = 2.06390887954e-2f;
    private static final float T4 = -5.70498872745e-3f;
    private static final int SIGN = 0x80000000;

    private VectorExp() {}

    /** Lane-wise e^x, the same bits in every JIT tier and the same as {@link #exp(float)} per lane. */
    public static FloatVector exp(FloatVector x) {
        // Compare-and-blend rather than max/min: Java's min/max NaN and signed-zero rules cost
        // several instructions a lane on x86; a false compare keeps NaN, which then propagates.
        x = x.blend(LO, x.lt(LO));
        x = x.blend(HI, x.compare(VectorOperators.GT, HI));
        FloatVector t = x.fma(LOG2E, SHIFTER);
        FloatVector n = t.sub(SHIFTER);
        FloatVector r = n.fma(x.broadcast(-LN2_HI), x);
        r = n.fma(x.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(P5, P4);
        p = p.fma(r, x.broadcast(P3));
        p = p.fma(r, x.broadcast(P2));
        p = p.fma(r, x.broadcast(P1));
        p = p.fma(r, x.broadcast(P0));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        // t's bits are SHIFTER_BITS + n with SHIFTER_BITS's low 21 bits zero, so halving them and
        // shifting the exponent field into place drops the shifter without subtracting it.
        IntVector tb = t.reinterpretAsInts();
        IntVector h = tb.lanewise(VectorOperators.ASHR, 1);
        FloatVector sa = h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector sb = tb.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(sa).mul(sb);
    }

    /**
     * Replaces {@code a[off..off+n)} by {@code e^(a[i] - shift)} and returns their sum (a softmax's
     * numerators and denominator), each vector lane bit-identical to {@link #exp(FloatVector)}. The
     * exp is written out in the loop rather than called: where {@code n} is short (decode attention
     * over a few positions) the loop's call site stays cold, C2 then does not inline a 227-byte
     * callee there, and a vector passed across a real call is boxed: 96 bytes per head per decode
     * step (DecodeSteadyStateTest). The tail takes {@code Math.exp}, the same in every JIT tier.
     */
    public static float expShiftedSum(float[] a, int off, int n, float shift) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
        FloatVector acc = FloatVector.zero(species);
        int i = 0;
        for (int upper = species.loopBound(n); i < upper; i += species.length()) {
            FloatVector x = FloatVector.fromArray(species, a, off + i).sub(shift);
            x = x.blend(LO, x.lt(LO));
            x = x.blend(HI, x.compare(VectorOperators.GT, HI));
            FloatVector t = x.fma(LOG2E, SHIFTER);
            FloatVector k = t.sub(SHIFTER);
            FloatVector r = k.fma(x.broadcast(-LN2_HI), x);
            r = k.fma(x.broadcast(-LN2_LO), r);
            FloatVector p = r.fma(P5, P4);
            p = p.fma(r, x.broadcast(P3));
            p = p.fma(r, x.broadcast(P2));
            p = p.fma(r, x.broadcast(P1));
            p = p.fma(r, x.broadcast(P0));
            FloatVector y = p.fma(r.mul(r), r).add(1f);
            IntVector tb = t.reinterpretAsInts();
            IntVector h = tb.lanewise(VectorOperators.ASHR, 1);
            FloatVector sa = h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector sb =
                    tb.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = y.mul(sa).mul(sb);
            e.intoArray(a, off + i);
            acc = acc.add(e);
        }
        for (int h = species.length() / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(Lanes.ROTATE[h]));
        }
        float sum = acc.lane(0);
        for (; i < n; i++) {
            float e = (float) Math.exp(a[off + i] - shift);
            a[off + i] = e;
            sum += e;
        }
        return sum;
    }

    /** e^x by exactly the lane steps of {@link #exp(FloatVector)}. */
    public static float exp(float x) {
        x = x < LO ? LO : x;
        x = x > HI ? HI : x;
        float t = Math.fma(x, LOG2E, SHIFTER);
        float n = t - SHIFTER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, P5, P4);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P1);
        p = Math.fma(p, r, P0);
        float y = Math.fma(p, r * r, r) + 1f;
        int tb = Float.floatToRawIntBits(t);
        int h = tb >> 1;
        return y * Float.intBitsToFloat((h + 127) << 23) * Float.intBitsToFloat((tb - h + 127) << 23);
    }

    /** Lane-wise tanh, the same bits in every JIT tier and the same as {@link #tanh(float)} per lane. */
    public static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector z = x.mul(x);
        FloatVector p = z.fma(T4, T3);
        p = p.fma(z, x.broadcast(T2));
        p = p.fma(z, x.broadcast(T1));
        p = p.fma(z, x.broadcast(T0));
        FloatVector small = p.mul(z).fma(x, x);
        FloatVector e = exp(ax.add(ax));
        FloatVector large = x.broadcast(1f).sub(x.broadcast(2f).div(e.add(1f)));
        VectorMask<Float> isSmall = ax.lt(TANH_SMALL);
        // The sign is or-ed in on both branches: large is ≥ 0, and small would give +0 for −0.
        IntVector sign = x.reinterpretAsInts().and(SIGN);
        return large.blend(small, isSmall).reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /** tanh by exactly the lane steps of {@link #tanh(FloatVector)}. */
    public static float tanh(float x) {
        float ax = Math.abs(x);
        float y;
        if (ax < TANH_SMALL) {
            float z = x * x;
            float p = Math.fma(z, T4, T3);
            p = Math.fma(p, z, T2);
            p = Math.fma(p, z, T1);
            p = Math.fma(p, z, T0);
            y = Math.fma(p * z, x, x);
        } else {
            y = 1f - 2f / (exp(ax + ax) + 1f);
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(y) | (Float.floatToRawIntBits(x) & SIGN));
    }
}
