package fsc.ir;

/**
 * Values of the four ONNX 8-bit float formats (with E8M0 and the 4-bit E2M1), for compile-time readers (constants, the
 * interpreter's inputs). The runtime's {@code fsc.runtime.kernels.Float8} decodes and encodes the
 * same formats for generated code; a backend test checks the two agree on all 256 codes of each.
 */
public final class Float8Values {
    private Float8Values() {}

    private static final double[] F4E2M1 = {0, 0.5, 1, 1.5, 2, 3, 4, 6};

    /** The value of 4-bit float E2M1 code {@code bits} (OCP MX: bias 1, no infinities or NaN, largest 6). */
    public static double decodeF4e2m1(int bits) {
        double v = F4E2M1[bits & 7];
        return (bits & 8) != 0 ? -v : v;
    }

    /** The value of code {@code bits} of 8-bit float type {@code t} (NaN and ±inf where the format has them). */
    public static double decode(DType t, int bits) {
        int code = bits & 0xFF;
        int exponentBits;
        int bias;
        boolean fnuz;
        switch (t) {
            case F8E4M3FN -> {
                exponentBits = 4;
                bias = 7;
                fnuz = false;
            }
            case F8E4M3FNUZ -> {
                exponentBits = 4;
                bias = 8;
                fnuz = true;
            }
            case F8E5M2 -> {
                exponentBits = 5;
                bias = 15;
                fnuz = false;
            }
            case F8E5M2FNUZ -> {
                exponentBits = 5;
                bias = 16;
                fnuz = true;
            }
            case F8E8M0 -> {
                return code == 0xFF ? Double.NaN : Math.scalb(1.0, code - 127);
            }
            default -> throw new IllegalArgumentException(t.irName() + " is not an 8-bit float type");
        }
        int mantissaBits = 7 - exponentBits;
        int expMax = (1 << exponentBits) - 1;
        int e = (code >> mantissaBits) & expMax;
        int m = code & ((1 << mantissaBits) - 1);
        boolean negative = (code & 0x80) != 0;
        if (fnuz && code == 0x80) {
            return Double.NaN;
        }
        if (!fnuz && e == expMax) {
            if (t == DType.F8E5M2) {
                return m != 0 ? Double.NaN : negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (m == (1 << mantissaBits) - 1) {
                return Double.NaN; // E4M3FN spends only S.1111.111 on NaN
            }
        }
        double magnitude = e == 0
                ? Math.scalb((double) m, 1 - bias - mantissaBits)
                : Math.scalb((double) ((1 << mantissaBits) + m), e - bias - mantissaBits);
        return negative ? -magnitude : magnitude;
    }
}
