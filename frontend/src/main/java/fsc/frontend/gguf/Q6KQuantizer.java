package fsc.frontend.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q6_K blocks (ggml {@code block_q6_K}, 256 values in 210 bytes: 128 bytes of low 4 bits, 64 bytes
 * of high 2 bits, sixteen int8 sub-block scales, f16 {@code d}; value {@code i} of sub-block {@code
 * s} is {@code d*scale[s]*(q-32)}), as ggml's {@code quantize_row_q6_K_ref} writes them: per 16-value
 * sub-block a {@link KQuantSearch#makeQxQuantsRmse1} search, the sub-block scales quantized to int8
 * against the one of largest magnitude (mapped to -128), then every value re-quantized against the
 * scales as a reader sees them. Scratch arrays live in the instance.
 */
final class Q6KQuantizer {
    private final byte[] levels = new byte[256];
    private final float[] scales = new float[16];
    private final byte[] sc = new byte[16];

    void block(float[] x, int xo, MemorySegment dst, long y) {
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ++ib) {
            float scale = KQuantSearch.makeQxQuantsRmse1(16, 32, x, xo + 16 * ib, levels, 16 * ib);
            scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        if (maxAbsScale < KQuantSearch.GROUP_MAX_EPS) {
            dst.asSlice(y, 210).fill((byte) 0); // ggml: memset, d = 0
            return;
        }
        float iscale = -128.f / maxScale;
        short dBits = Float.floatToFloat16(1 / iscale);
        for (int ib = 0; ib < 16; ++ib) {
            sc[ib] = (byte) Math.min(127, KQuantSearch.nearestInt(iscale * scales[ib]));
        }
        float d16 = Float.float16ToFloat(dBits);
        for (int j = 0; j < 16; ++j) {
            float d = d16 * sc[j];
            if (d == 0) {
                continue; // the search's levels stand, as in ggml
            }
            for (int ii = 0; ii < 16; ++ii) {
                int l = KQuantSearch.nearestInt(x[xo + 16 * j + ii] / d);
                levels[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
            }
        }
        for (int half = 0; half < 2; half++) {
            int j = 128 * half;
            long ql = y + 64L * half;
            long qh = y + 128 + 32L * half;
            for (int l = 0; l < 32; ++l) {
                int q1 = levels[j + l] & 0xFF;
                int q2 = levels[j + l + 32] & 0xFF;
                int q3 = levels[j + l + 64] & 0xFF;
                int q4 = levels[j + l + 96] & 0xFF;
                dst.set(ValueLayout.JAVA_BYTE, ql + l, (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, ql + l + 32, (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, qh + l, (byte)
                        ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)));
            }
        }
        MemorySegment.copy(sc, 0, dst, ValueLayout.JAVA_BYTE, y + 192, 16);
        GgufQuantizer.putF16Bits(dst, y + 208, dBits);
    }
}
