package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Element access for ONNX's sub-byte types, packed low bits first: 4-bit ones two a byte (element
 * {@code 2k} in the low nibble of byte {@code k}), 2-bit ones four a byte (element {@code 4k+j} in
 * bits {@code 2j..2j+1}). {@code int4}/{@code int2} are sign-extended, {@code uint4}/{@code uint2}
 * not, and {@code float4e2m1} is OCP MX E2M1 (bias 1, no infinities or NaN, values ±{0, 0.5, 1, 1.5,
 * 2, 3, 4, 6}). Writes read-modify-write the shared byte, so one thread must own a whole byte.
 */
public final class SubByte {
    private SubByte() {}

    private static final float[] E2M1 = {0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f
    };

    public static int uint4(MemorySegment s, long i) {
        return (s.get(ValueLayout.JAVA_BYTE, i >> 1) >> ((i & 1) * 4)) & 0xF;
    }

    public static int int4(MemorySegment s, long i) {
        return (uint4(s, i) << 28) >> 28;
    }

    public static float f4e2m1(MemorySegment s, long i) {
        return E2M1[uint4(s, i)];
    }

    public static int uint2(MemorySegment s, long i) {
        return (s.get(ValueLayout.JAVA_BYTE, i >> 2) >> ((i & 3) * 2)) & 0x3;
    }

    public static int int2(MemorySegment s, long i) {
        return (uint2(s, i) << 30) >> 30;
    }

    /** Stores the low 2 bits of {@code v} as element {@code i} of a 2-bit tensor (casts wrap). */
    public static void set2(MemorySegment s, long i, int v) {
        long at = i >> 2;
        int shift = (int) (i & 3) * 2;
        int b = s.get(ValueLayout.JAVA_BYTE, at) & ~(0x3 << shift);
        s.set(ValueLayout.JAVA_BYTE, at, (byte) (b | ((v & 0x3) << shift)));
    }

    /** Stores the low 4 bits of {@code v} as element {@code i} (integer casts wrap, as ONNX's reference does). */
    public static void set(MemorySegment s, long i, int v) {
        long at = i >> 1;
        int shift = (int) (i & 1) * 4;
        int b = s.get(ValueLayout.JAVA_BYTE, at) & ~(0xF << shift);
        s.set(ValueLayout.JAVA_BYTE, at, (byte) (b | ((v & 0xF) << shift)));
    }

    /**
     * The E2M1 code nearest {@code f}, ties to the even code; beyond ±6 (infinities too) it saturates
     * to ±6, the format having no infinity. NaN has no code either: ONNX's reference data maps it to
     * {@code 0x8} (the negative-zero pattern), and so do we.
     */
    public static int toF4e2m1(float f) {
        if (Float.isNaN(f)) {
            return E2M1_NAN;
        }
        int sign = Float.floatToRawIntBits(f) < 0 ? 8 : 0;
        float a = Math.abs(f);
        int best = 0;
        for (int code = 1; code < 8; code++) {
            float lo = E2M1[code - 1];
            float hi = E2M1[code];
            float mid = (lo + hi) / 2;
            // Above the midpoint, or on it with the upper code even: round up to this code.
            if (a > mid || (a == mid && code % 2 == 0)) {
                best = code;
            }
        }
        return sign | best;
    }

    /** What a NaN becomes when cast to E2M1 (see {@link #toF4e2m1}). */
    public static final int E2M1_NAN = 0x8;
}
