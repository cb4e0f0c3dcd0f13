package fsc.runtime.kernels;

/**
 * The four 8-bit float formats of ONNX (opset 19, "Float stored in 8 bits"; the FNUZ ones from
 * GraphCore's proposal): one sign bit, {@code exponentBits}, {@code mantissaBits}, an exponent bias,
 * and a NaN/infinity convention.
 *
 * <ul>
 *   <li>{@code E4M3FN}: bias 7, no infinities, NaN is {@code S.1111.111}, largest 448;
 *   <li>{@code E4M3FNUZ}: bias 8, no infinities and no negative zero, NaN is {@code 0x80}, largest 240;
 *   <li>{@code E5M2}: bias 15, IEEE-style (exponent 31 holds ±inf and NaNs), largest 57344;
 *   <li>{@code E5M2FNUZ}: bias 16, like E4M3FNUZ, largest 57344.
 * </ul>
 *
 * Decoding is a 256-entry table. Encoding rounds to nearest, ties to even; what happens beyond the
 * largest finite value follows the ONNX Cast table: with {@code saturate} it clamps to ±largest
 * (infinities too), without it E5M2 goes to ±inf and the others to NaN.
 */
public enum Float8 {
    E4M3FN(4, 3, 7, false, false),
    E4M3FNUZ(4, 3, 8, true, false),
    E5M2(5, 2, 15, false, true),
    E5M2FNUZ(5, 2, 16, true, false);

    private final int mantissaBits;
    private final int bias;
    private final boolean fnuz;
    private final boolean infinities;
    private final float[] values = new float[256];
    private final int maxCode;
    private final byte nan;

    Float8(int exponentBits, int mantissaBits, int bias, boolean fnuz, boolean infinities) {
        this.mantissaBits = mantissaBits;
        this.bias = bias;
        this.fnuz = fnuz;
        this.infinities = infinities;
        int expMax = (1 << exponentBits) - 1;
        int max = -1;
        for (int code = 0; code < 256; code++) {
            float v = value(code, expMax);
            values[code] = v;
            if (code < 0x80 && !Float.isNaN(v) && !Float.isInfinite(v)) {
                max = code;
            }
        }
        this.maxCode = max;
        this.nan = (byte) (fnuz ? 0x80 : 0x7F);
    }

    private float value(int code, int expMax) {
        boolean negative = (code & 0x80) != 0;
        int e = (code >> mantissaBits) & expMax;
        int m = code & ((1 << mantissaBits) - 1);
        if (fnuz && code == 0x80) {
            return Float.NaN;
        }
        if (!fnuz && e == expMax) {
            if (infinities) {
                if (m == 0) {
                    return negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
                }
                return Float.NaN;
            }
            if (m == (1 << mantissaBits) - 1) {
                return Float.NaN;
            }
        }
        double magnitude = e == 0
                ? Math.scalb((double) m, 1 - bias - mantissaBits)
                : Math.scalb((double) ((1 << mantissaBits) + m), e - bias - mantissaBits);
        return (float) (negative ? -magnitude : magnitude);
    }

    public float decode(byte bits) {
        return values[bits & 0xFF];
    }

    /** The largest finite value. */
    public float max() {
        return values[maxCode];
    }

    public byte encode(float f, boolean saturate) {
        if (Float.isNaN(f)) {
            return nan;
        }
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x80 : 0;
        double a = Math.abs((double) f);
        if (Double.isInfinite(a)) {
            return overflow(sign, saturate);
        }
        int code = roundMagnitude(a);
        if (code > maxCode) {
            return overflow(sign, saturate);
        }
        if (code == 0 && fnuz) {
            // FNUZ formats have no negative zero (0x80 is their NaN).
            return 0;
        }
        return (byte) (sign | code);
    }

    private byte overflow(int sign, boolean saturate) {
        if (saturate) {
            return (byte) (sign | maxCode);
        }
        if (infinities) {
            return (byte) (sign | (maxCode + 1));
        }
        return nan;
    }

    /**
     * The unsigned code of the nearest representable magnitude to {@code a} (ties to even), possibly
     * past {@link #maxCode} when {@code a} is out of range. Codes grow monotonically with magnitude,
     * so the integer significand carrying into the exponent field needs no special case.
     */
    private int roundMagnitude(double a) {
        int minNormalExp = 1 - bias;
        int exp = a == 0 ? minNormalExp : Math.max(Math.getExponent(a), minNormalExp);
        // a / quantum is exact in double (a is a float, quantum a power of two); rint ties to even.
        double significand = Math.rint(Math.scalb(a, mantissaBits - exp));
        long n = (long) significand;
        if (n == 0) {
            return 0;
        }
        int field = exp - minNormalExp; // 0 for subnormals and the smallest normal binade
        // n is in [0, 2^(m+1)]: for subnormals (field 0, n < 2^m) the code is n itself; otherwise the
        // implicit bit adds one to the exponent field, which the sum below carries naturally.
        long code = ((long) field << mantissaBits) + n;
        return code > 0xFF ? 0xFF : (int) code;
    }
}
