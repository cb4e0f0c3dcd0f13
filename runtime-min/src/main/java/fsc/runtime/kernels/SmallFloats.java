package fsc.runtime.kernels;

/**
 * Conversions between {@code float} and the storage-only float formats generated code reads and
 * writes element by element: bfloat16 (the top half of an IEEE binary32). IEEE half precision uses
 * the JDK's {@link Float#float16ToFloat} and {@link Float#floatToFloat16}. Narrowing rounds to
 * nearest, ties to even, as ONNX Cast specifies.
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
}
