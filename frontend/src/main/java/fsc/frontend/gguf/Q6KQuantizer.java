package fsc.frontend.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One Q6_K block (ggml {@code block_q6_K}, 256 values in 210 bytes): 128 bytes of low 4 bits, 64
 * bytes of high 2 bits, sixteen int8 sub-block scales, f16 {@code d}. Value {@code i} of sub-block
 * {@code s} is {@code d*scale[s]*(q-32)}. Each 16-value sub-block maps its largest magnitude to the
 * end of the 6-bit range (ggml refines this with {@code make_qx_quants}; see {@link GgufQuantizer}).
 */
final class Q6KQuantizer {
    private Q6KQuantizer() {}

    static void block(float[] x, int xo, MemorySegment dst, long y) {
        float[] scales = new float[16];
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int s = 0; s < 16; s++) {
            float amax = 0;
            float max = 0;
            for (int i = 0; i < 16; i++) {
                float v = x[xo + 16 * s + i];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            scales[s] = max / -32; // signed, as in ggml, so the extreme value lands on -32 exactly
            if (Math.abs(scales[s]) > maxAbsScale) {
                maxAbsScale = Math.abs(scales[s]);
                maxScale = scales[s];
            }
        }
        float iscale = maxScale != 0 ? -128 / maxScale : 0;
        GgufQuantizer.putF16(dst, y + 208, iscale != 0 ? 1 / iscale : 0);
        float d = Float.float16ToFloat(Float.floatToFloat16(iscale != 0 ? 1 / iscale : 0));
        int[] q = new int[256];
        for (int s = 0; s < 16; s++) {
            int sc = Math.clamp((int) Math.rint(iscale * scales[s]), -128, 127);
            dst.set(ValueLayout.JAVA_BYTE, y + 192 + s, (byte) sc);
            float ds = d * sc;
            for (int i = 0; i < 16; i++) {
                int l = ds == 0 ? 0 : (int) Math.rint(x[xo + 16 * s + i] / ds);
                q[16 * s + i] = Math.clamp(l, -32, 31) + 32;
            }
        }
        // Per 128 values: ql holds the low nibbles of values l and l+64 (and l+32, l+96); qh holds
        // the top two bits of all four, as ggml's dequantize_row_q6_K unpacks them.
        for (int half = 0; half < 2; half++) {
            int base = 128 * half;
            long ql = y + 64L * half;
            long qh = y + 128 + 32L * half;
            for (int l = 0; l < 32; l++) {
                int q1 = q[base + l];
                int q2 = q[base + l + 32];
                int q3 = q[base + l + 64];
                int q4 = q[base + l + 96];
                dst.set(ValueLayout.JAVA_BYTE, ql + l, (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, ql + l + 32, (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, qh + l, (byte)
                        ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)));
            }
        }
    }
}
