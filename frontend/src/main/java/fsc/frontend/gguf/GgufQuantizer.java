package fsc.frontend.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Converts floats to GGUF tensor layouts. Every quantized type follows ggml's reference quantizer
 * ({@code quantize_row_q8_0_ref}, {@code _q4_0_ref}, {@code _q4_1_ref}, {@code _q4_K_ref}, {@code
 * _q6_K_ref} in {@code ggml-quants.c}) operation for operation, so the bytes equal what {@code
 * llama-quantize} writes without an importance matrix (the K-quant searches are {@link
 * KQuantSearch}); F16 and BF16 round to nearest even as ggml does.
 */
public final class GgufQuantizer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GgufQuantizer() {}

    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Writes {@code n} floats from {@code src[srcOffset..]} as {@code type} into {@code dst} at
     * {@code dstOffset}; {@code n} must be a whole number of blocks.
     */
    public static void quantize(GgmlType type, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        if (!supports(type)) {
            throw new IllegalArgumentException("no quantizer for " + type);
        }
        if (n % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " needs a multiple of " + type.blockSize() + " values, got " + n);
        }
        int blocks = n / type.blockSize();
        Q4KQuantizer q4k = type == GgmlType.Q4_K ? new Q4KQuantizer() : null;
        Q6KQuantizer q6k = type == GgmlType.Q6_K ? new Q6KQuantizer() : null;
        for (int b = 0; b < blocks; b++) {
            int x = srcOffset + b * type.blockSize();
            long y = dstOffset + (long) b * type.blockBytes();
            switch (type) {
                case F32 -> dst.set(F32, y, src[x]);
                case F16 -> dst.set(I16, y, Float.floatToFloat16(src[x]));
                case BF16 -> dst.set(I16, y, toBf16(src[x]));
                case Q8_0 -> q8_0(src, x, dst, y);
                case Q4_0 -> q4_0(src, x, dst, y);
                case Q4_1 -> q4_1(src, x, dst, y);
                case Q4_K -> q4k.block(src, x, dst, y);
                case Q6_K -> q6k.block(src, x, dst, y);
                default -> throw new IllegalStateException("supports() and quantize() disagree on " + type);
            }
        }
    }

    /** float to bfloat16, rounding to nearest even as ggml's {@code ggml_compute_fp32_to_bf16} does. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 64); // quiet NaN
        }
        return (short) ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16);
    }

    /** C's {@code roundf}: halves round away from zero (Math.round would round -2.5 to -2); ±inf and NaN pass. */
    static float roundf(float v) {
        return Float.isFinite(v) ? (float) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v) : v;
    }

    /**
     * A C float-to-integer conversion as x86-64 compiles it ({@code cvttss2si}): truncation toward
     * zero, and the "integer indefinite" {@code INT_MIN} for NaN and values out of int range, where
     * Java would saturate. It matters where ggml's reference divides by a subnormal scale (a block of
     * float subnormals: the inverse scale is infinite) and stores the result in an {@code int8_t}.
     */
    static int cvtt(float v) {
        return Float.isNaN(v) || v >= 0x1p31f || v < -0x1p31f ? Integer.MIN_VALUE : (int) v;
    }

    static void putF16(MemorySegment dst, long at, float v) {
        dst.set(I16, at, Float.floatToFloat16(v));
    }

    static void putF16Bits(MemorySegment dst, long at, short bits) {
        dst.set(I16, at, bits);
    }

    private static void q8_0(float[] x, int xo, MemorySegment dst, long y) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[xo + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(dst, y, d);
        for (int j = 0; j < 32; j++) {
            dst.set(ValueLayout.JAVA_BYTE, y + 2 + j, (byte) cvtt(roundf(x[xo + j] * id)));
        }
    }

    private static void q4_0(float[] x, int xo, MemorySegment dst, long y) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(dst, y, d);
        for (int j = 0; j < 16; j++) {
            // (int8_t)(x + 8.5f) truncates toward zero, like the C cast.
            int q0 = Math.min(15, (byte) cvtt(x[xo + j] * id + 8.5f));
            int q1 = Math.min(15, (byte) cvtt(x[xo + 16 + j] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, y + 2 + j, (byte) (q0 | (q1 << 4)));
        }
    }

    private static void q4_1(float[] x, int xo, MemorySegment dst, long y) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            min = Math.min(min, x[xo + j]);
            max = Math.max(max, x[xo + j]);
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(dst, y, d);
        putF16(dst, y + 2, min);
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (byte) cvtt((x[xo + j] - min) * id + 0.5f));
            int q1 = Math.min(15, (byte) cvtt((x[xo + 16 + j] - min) * id + 0.5f));
            dst.set(ValueLayout.JAVA_BYTE, y + 4 + j, (byte) (q0 | (q1 << 4)));
        }
    }
}
