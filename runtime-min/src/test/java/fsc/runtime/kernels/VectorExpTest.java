package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * VectorExp against the correctly rounded value (double Math.exp / Math.tanh rounded to float),
 * over a sweep of the float range, specials and boundaries; and every lane bit-equal to the scalar
 * twin, which is what makes a tail element round like a vector element.
 */
class VectorExpTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Distance in representable floats (both finite or equal infinities; same sign assumed by caller). */
    static long ulps(float a, float b) {
        if (a == b) {
            return 0;
        }
        return Math.abs((long) ordered(a) - ordered(b));
    }

    private static int ordered(float f) {
        int bits = Float.floatToRawIntBits(f);
        return bits < 0 ? Integer.MIN_VALUE - bits : bits;
    }

    /** Every 2039th float in [-110, 95] plus random and boundary values. */
    static float[] sweep() {
        var out = new java.util.ArrayList<Float>();
        for (int sign : new int[] {0, 0x80000000}) {
            int top = Float.floatToRawIntBits(sign == 0 ? 95f : 110f);
            for (int bits = 0; bits <= top; bits += 2039) {
                out.add(Float.intBitsToFloat(bits | sign));
            }
        }
        Random r = new Random(5);
        for (int i = 0; i < 200_000; i++) {
            out.add((float) (r.nextGaussian() * 10));
        }
        float[] specials = {
            0f,
            -0f,
            Float.MIN_VALUE,
            -Float.MIN_VALUE,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.NaN,
            88.72283f,
            88.72284f,
            88.7f,
            88.8f,
            89f,
            -87.33654f,
            -87.4f,
            -103.9f,
            -103.97208f,
            -104f,
            -120f,
            0.34657359f,
            -0.34657359f,
            0.625f,
            -0.625f,
            0.62499994f,
            1e-30f,
            -1e-30f
        };
        for (float f : specials) {
            out.add(f);
        }
        float[] a = new float[out.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = out.get(i);
        }
        return a;
    }

    @Test
    void expIsWithinOneUlpOverTheFloatRange() {
        float[] x = sweep();
        long worst = 0;
        float worstAt = 0;
        for (float v : x) {
            float want = (float) Math.exp(v);
            float got = VectorExp.exp(v);
            if (Float.isNaN(want)) {
                assertTrue(Float.isNaN(got), "exp(" + v + ")");
                continue;
            }
            long u = ulps(want, got);
            if (u > worst) {
                worst = u;
                worstAt = v;
            }
        }
        assertTrue(worst <= 1, "exp: " + worst + " ulps at " + worstAt);
        assertEquals(Float.POSITIVE_INFINITY, VectorExp.exp(Float.POSITIVE_INFINITY));
        assertEquals(0f, VectorExp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(1f, VectorExp.exp(0f));
        assertEquals(1f, VectorExp.exp(-0f));
        assertEquals(Float.MIN_VALUE, VectorExp.exp(-103.2789f), "smallest subnormal");
    }

    @Test
    void tanhIsWithinTwoUlpsOverTheFloatRange() {
        float[] x = sweep();
        long worst = 0;
        float worstAt = 0;
        for (float v : x) {
            float want = (float) Math.tanh(v);
            float got = VectorExp.tanh(v);
            if (Float.isNaN(want)) {
                assertTrue(Float.isNaN(got), "tanh(" + v + ")");
                continue;
            }
            long u = ulps(want, got);
            if (u > worst) {
                worst = u;
                worstAt = v;
            }
        }
        assertTrue(worst <= 2, "tanh: " + worst + " ulps at " + worstAt);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(VectorExp.tanh(-0f)));
        assertEquals(-1f, VectorExp.tanh(Float.NEGATIVE_INFINITY));
        assertEquals(1f, VectorExp.tanh(Float.POSITIVE_INFINITY));
    }

    @Test
    void everyLaneEqualsTheScalarTwin() {
        float[] x = sweep();
        int n = S.loopBound(x.length);
        float[] e = new float[n];
        float[] t = new float[n];
        for (int i = 0; i < n; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            VectorExp.exp(v).intoArray(e, i);
            VectorExp.tanh(v).intoArray(t, i);
        }
        for (int i = 0; i < n; i++) {
            // Messages are built only on failure: millions of string concatenations would dominate.
            if (Float.floatToRawIntBits(VectorExp.exp(x[i])) != Float.floatToRawIntBits(e[i])) {
                fail("exp(" + x[i] + "): lane " + e[i] + ", scalar " + VectorExp.exp(x[i]));
            }
            if (!Float.isNaN(x[i]) && Float.floatToRawIntBits(VectorExp.tanh(x[i])) != Float.floatToRawIntBits(t[i])) {
                fail("tanh(" + x[i] + "): lane " + t[i] + ", scalar " + VectorExp.tanh(x[i]));
            }
        }
    }

    @Test
    void expShiftedSumEqualsExpPerVectorAndMathExpInTheTail() {
        Random rnd = new Random(7);
        for (int n : new int[] {0, 1, S.length() - 1, S.length(), 3 * S.length() + 5}) {
            int off = 3;
            float[] a = new float[off + n + 2];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rnd.nextGaussian() * 8);
            }
            float shift = 1.25f;
            float[] want = a.clone();
            FloatVector acc = FloatVector.zero(S);
            int i = 0;
            for (; i + S.length() <= n; i += S.length()) {
                FloatVector e =
                        VectorExp.exp(FloatVector.fromArray(S, want, off + i).sub(shift));
                e.intoArray(want, off + i);
                acc = acc.add(e);
            }
            float sum = Lanes.sum(acc);
            for (; i < n; i++) {
                want[off + i] = (float) Math.exp(want[off + i] - shift);
                sum += want[off + i];
            }
            float got = VectorExp.expShiftedSum(a, off, n, shift);
            assertEquals(Float.floatToRawIntBits(sum), Float.floatToRawIntBits(got), "sum, n = " + n);
            for (int k = 0; k < a.length; k++) {
                assertEquals(Float.floatToRawIntBits(want[k]), Float.floatToRawIntBits(a[k]), "a[" + k + "], n = " + n);
            }
        }
    }
}
