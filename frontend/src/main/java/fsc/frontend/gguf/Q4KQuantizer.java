package fsc.frontend.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_K blocks (ggml {@code block_q4_K}, 256 values in 144 bytes: f16 {@code d}, f16 {@code dmin},
 * 12 bytes packing eight 6-bit sub-block scales and mins, 128 bytes of 4-bit values; value {@code i}
 * of sub-block {@code s} is {@code d*scale[s]*q - dmin*min[s]}), as ggml's {@code
 * quantize_row_q4_K_ref} writes them: per 32-value sub-block a {@link KQuantSearch#makeQkx2Quants}
 * search weighted by {@code rms(x) + |x|}, the sub-block scales and mins quantized to 6 bits against
 * the block's largest, then every value re-quantized against the scales as a reader sees them.
 * Scratch arrays live in the instance, so one quantizer serves a whole row without allocating.
 */
final class Q4KQuantizer {
    private final byte[] levels = new byte[256];
    private final byte[] aux = new byte[32];
    private final float[] weights = new float[32];
    private final float[] mins = new float[8];
    private final float[] scales = new float[8];
    private final float[] theMin = new float[1];
    private final byte[] packed = new byte[12];

    void block(float[] x, int xo, MemorySegment dst, long y) {
        float maxScale = 0; // as the min is deducted, scales are positive
        float maxMin = 0;
        for (int j = 0; j < 8; ++j) {
            int base = xo + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; ++l) {
                sumX2 += x[base + l] * x[base + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; ++l) {
                weights[l] = avX + Math.abs(x[base + l]);
            }
            scales[j] =
                    KQuantSearch.makeQkx2Quants(32, 15, x, base, weights, levels, 32 * j, theMin, aux, -1.f, 0.1f, 20);
            mins[j] = theMin[0];
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        java.util.Arrays.fill(packed, (byte) 0);
        for (int j = 0; j < 8; ++j) {
            // uint8_t ls = nearest_int(...): the C assignment keeps the low byte, then MIN(63, ls).
            int ls = Math.min(63, KQuantSearch.nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, KQuantSearch.nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                packed[j] = (byte) ls;
                packed[j + 4] = (byte) lm;
            } else {
                packed[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte) ((ls >> 4) << 6);
                packed[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        short dBits = Float.floatToFloat16(maxScale / 63.f);
        short dminBits = Float.floatToFloat16(maxMin / 63.f);
        GgufQuantizer.putF16Bits(dst, y, dBits);
        GgufQuantizer.putF16Bits(dst, y + 2, dminBits);
        MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, y + 4, 12);
        float d16 = Float.float16ToFloat(dBits);
        float dmin16 = Float.float16ToFloat(dminBits);
        for (int j = 0; j < 8; ++j) {
            int sc;
            int m;
            if (j < 4) { // get_scale_min_k4
                sc = packed[j] & 63;
                m = packed[j + 4] & 63;
            } else {
                sc = (packed[j + 4] & 0xF) | (((packed[j - 4] & 0xFF) >> 6) << 4);
                m = ((packed[j + 4] & 0xFF) >> 4) | (((packed[j] & 0xFF) >> 6) << 4);
            }
            float d = d16 * sc;
            if (d == 0) {
                continue; // the search's levels stand, as in ggml
            }
            float dm = dmin16 * m;
            for (int ii = 0; ii < 32; ++ii) {
                int l = KQuantSearch.nearestInt((x[xo + 32 * j + ii] + dm) / d);
                levels[32 * j + ii] = (byte) Math.max(0, Math.min(15, l));
            }
        }
        // Each 32-byte group holds two sub-blocks: low nibbles the first, high nibbles the second.
        for (int j = 0; j < 4; j++) {
            for (int l = 0; l < 32; l++) {
                byte b = (byte) (levels[64 * j + l] | (levels[64 * j + 32 + l] << 4));
                dst.set(ValueLayout.JAVA_BYTE, y + 16 + 32 * j + l, b);
            }
        }
    }
}
