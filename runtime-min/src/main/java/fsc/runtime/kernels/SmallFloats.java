package fsc.runtime.kernels;

/**
 * Conversions between {@code float} and the storage-only float formats generated code reads and
 * writes element by element: bfloat16 (the top half of an IEEE binary32) and the four ONNX 8-bit
 * floats (see {@link Float8}). IEEE half precision uses the JDK's {@link Float#float16ToFloat} and
 * {@link Float#floatToFloat16}. Narrowing rounds to nearest, ties to even, as ONNX Cast specifies.
 */
public final class SmallFloats {
    private SmallFloats() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round to nearest even on the dropped 16 bits; NaN stays a (quiet) NaN with its sign. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /**
     * An unsigned 64-bit integer as the nearest double: halve with the low bit kept as a sticky bit
     * (so the one rounding step sees it), convert, double.
     */
    public static double unsignedToDouble(long v) {
        if (v >= 0) {
            return v;
        }
        return (double) ((v >>> 1) | (v & 1)) * 2.0;
    }

    public static float f8e4m3fnToFloat(byte bits) {
        return Float8.E4M3FN.decode(bits);
    }

    public static float f8e4m3fnuzToFloat(byte bits) {
        return Float8.E4M3FNUZ.decode(bits);
    }

    public static float f8e5m2ToFloat(byte bits) {
        return Float8.E5M2.decode(bits);
    }

    public static float f8e5m2fnuzToFloat(byte bits) {
        return Float8.E5M2FNUZ.decode(bits);
    }

    /** OCP MX E8M0: {@code 2^(code - 127)}, no sign and no zero; {@code 0xFF} is NaN. */
    public static float f8e8m0ToFloat(byte bits) {
        int code = bits & 0xFF;
        // Code c is exactly float exponent field c: 2^(c-127) (c = 0 is the float subnormal 2^-127).
        return code == 0xFF ? Float.NaN : code == 0 ? 0x1p-127f : Float.intBitsToFloat(code << 23);
    }

    /**
     * {@code |f|} as an E8M0 power of two (the format has no sign): its float exponent field, plus one
     * when {@code roundUp} and any mantissa bit is set (ONNX Cast-25's default round_mode "up"), as is
     * when rounding down. Past 2^127 (and for infinities) it saturates to {@code 0xFE} or goes to NaN.
     */
    public static byte floatToF8e8m0(float f, boolean saturate, boolean roundUp) {
        if (Float.isNaN(f)) {
            return (byte) 0xFF;
        }
        int bits = Float.floatToRawIntBits(f) & 0x7FFF_FFFF;
        int e = bits >>> 23;
        int m = bits & 0x7F_FFFF;
        if (e == 0) {
            // Float subnormals: 2^-127 (m = 0x400000) is code 0 itself; anything smaller, zero included,
            // goes to code 0, the smallest E8M0 value; only what lies above 2^-127 rounds up to 2^-126.
            return (byte) (roundUp && m > 0x40_0000 ? 1 : 0);
        }
        if (e != 0xFF && roundUp && m != 0) {
            e++;
        }
        if (e >= 0xFF) {
            return (byte) (saturate ? 0xFE : 0xFF);
        }
        return (byte) e;
    }

    public static byte floatToF8e4m3fn(float f, boolean saturate) {
        return Float8.E4M3FN.encode(f, saturate);
    }

    public static byte floatToF8e4m3fnuz(float f, boolean saturate) {
        return Float8.E4M3FNUZ.encode(f, saturate);
    }

    public static byte floatToF8e5m2(float f, boolean saturate) {
        return Float8.E5M2.encode(f, saturate);
    }

    public static byte floatToF8e5m2fnuz(float f, boolean saturate) {
        return Float8.E5M2FNUZ.encode(f, saturate);
    }
}
