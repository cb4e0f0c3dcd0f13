package fsc.runtime.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The dot product of one Q4_0 or Q8_0 weight row with one {@link Q80} activation row, as ggml's
 * generic C computes it ({@code ggml_vec_dot_q4_0_q8_0_generic}, {@code
 * ggml_vec_dot_q8_0_q8_0_generic} in {@code ggml-cpu/quants.c}): per block of 32 an exact integer
 * {@code sumi} of the quants' products (Q4_0 nibbles read as {@code q - 8}, the low nibbles against
 * values 0-15, the high against 16-31), then one float step per block in ggml's order, each
 * operation rounded as Java rounds floats: {@code sumf += sumi · dx · dy} (that is {@code
 * ((float) sumi · dx) · dy}) for Q4_0 and {@code sumf += sumi · (dx · dy)} for Q8_0.
 *
 * <p>This is the reference every kernel of the mode is tested against bit for bit ({@code
 * Q80MatVec}'s machine code), and the path where no kernel runs (no AVX-512 VNNI, heap segments,
 * {@code -Dfsc.kernels.native=false}).
 */
public final class Q80Dot {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Q80Dot() {}

    /** Whether {@code type} weights pair with Q8_0 activations here. */
    public static boolean pairsWith(GgmlType type) {
        return type == GgmlType.Q4_0 || type == GgmlType.Q8_0;
    }

    /** The row of {@code type} at byte {@code at} of {@code w} times row {@code row} of {@code x}. */
    public static float dot(GgmlType type, MemorySegment w, long at, Q80 x, int row) {
        int blocks = x.k() / Q80.BLOCK;
        int xq = row * x.k();
        int xd = row * blocks;
        float sumf = 0;
        if (type == GgmlType.Q4_0) {
            for (int b = 0; b < blocks; b++) {
                long blk = at + 18L * b;
                int sumi0 = 0;
                int sumi1 = 0;
                for (int j = 0; j < 16; j++) {
                    int q = w.get(ValueLayout.JAVA_BYTE, blk + 2 + j) & 0xFF;
                    sumi0 += ((q & 0x0F) - 8) * x.qs[xq + 32 * b + j];
                    sumi1 += ((q >>> 4) - 8) * x.qs[xq + 32 * b + j + 16];
                }
                int sumi = sumi0 + sumi1;
                float dx = Float.float16ToFloat(w.get(I16, blk));
                sumf += sumi * dx * x.d[xd + b];
            }
        } else if (type == GgmlType.Q8_0) {
            for (int b = 0; b < blocks; b++) {
                long blk = at + 34L * b;
                int sumi = 0;
                for (int j = 0; j < 32; j++) {
                    sumi += w.get(ValueLayout.JAVA_BYTE, blk + 2 + j) * x.qs[xq + 32 * b + j];
                }
                float dx = Float.float16ToFloat(w.get(I16, blk));
                sumf += sumi * (dx * x.d[xd + b]);
            }
        } else {
            throw new IllegalArgumentException("Q8_0 activations pair with Q4_0 and Q8_0 weights, not " + type);
        }
        return sumf;
    }
}
