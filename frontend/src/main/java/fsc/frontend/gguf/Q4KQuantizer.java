package fsc.frontend.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One Q4_K block (ggml {@code block_q4_K}, 256 values in 144 bytes): f16 {@code d}, f16 {@code
 * dmin}, 12 bytes packing eight 6-bit sub-block scales and mins, then 128 bytes of 4-bit values.
 * Value {@code i} of sub-block {@code s} is {@code d*scale[s]*q - dmin*min[s]}. Scales come from
 * each 32-value sub-block's range (ggml searches iteratively; see {@link GgufQuantizer}).
 */
final class Q4KQuantizer {
    private Q4KQuantizer() {}

    static void block(float[] x, int xo, MemorySegment dst, long y) {
        float[] scales = new float[8];
        float[] mins = new float[8];
        float maxScale = 0;
        float maxMin = 0;
        for (int s = 0; s < 8; s++) {
            float lo = 0; // ggml clamps the minimum at zero, so mins are stored as non-negative offsets
            float hi = -Float.MAX_VALUE;
            for (int i = 0; i < 32; i++) {
                lo = Math.min(lo, x[xo + 32 * s + i]);
                hi = Math.max(hi, x[xo + 32 * s + i]);
            }
            scales[s] = (hi - lo) / 15;
            mins[s] = -lo;
            maxScale = Math.max(maxScale, scales[s]);
            maxMin = Math.max(maxMin, mins[s]);
        }
        float invScale = maxScale > 0 ? 63 / maxScale : 0;
        float invMin = maxMin > 0 ? 63 / maxMin : 0;
        int[] ls = new int[8];
        int[] lm = new int[8];
        for (int s = 0; s < 8; s++) {
            ls[s] = Math.min(63, (int) Math.rint(invScale * scales[s]));
            lm[s] = Math.min(63, (int) Math.rint(invMin * mins[s]));
        }
        byte[] packed = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                packed[j] = (byte) ls[j];
                packed[j + 4] = (byte) lm[j];
            } else {
                packed[j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                packed[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                packed[j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
        GgufQuantizer.putF16(dst, y, maxScale / 63);
        GgufQuantizer.putF16(dst, y + 2, maxMin / 63);
        MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, y + 4, 12);
        // Quantize against the scales as the reader will see them (after f16 and 6-bit rounding).
        float d = Float.float16ToFloat(Float.floatToFloat16(maxScale / 63));
        float dmin = Float.float16ToFloat(Float.floatToFloat16(maxMin / 63));
        int[] q = new int[256];
        for (int s = 0; s < 8; s++) {
            float ds = d * ls[s];
            float ms = dmin * lm[s];
            for (int i = 0; i < 32; i++) {
                int l = ds == 0 ? 0 : (int) Math.rint((x[xo + 32 * s + i] + ms) / ds);
                q[32 * s + i] = Math.clamp(l, 0, 15);
            }
        }
        // Each 32-byte group holds two sub-blocks: low nibbles the first, high nibbles the second.
        for (int j = 0; j < 4; j++) {
            for (int l = 0; l < 32; l++) {
                byte b = (byte) (q[64 * j + l] | (q[64 * j + 32 + l] << 4));
                dst.set(ValueLayout.JAVA_BYTE, y + 16 + 32 * j + l, b);
            }
        }
    }
}
