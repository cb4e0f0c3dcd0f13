package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * {@link ExactFloatExp} against {@code (float) Math.exp(x)}, bit for bit: a sweep over the floats
 * in [-104, 0] (the flash softmax's exponents are never positive; below -104 every result is 0),
 * every {@code fsc.exp.stride}-th bit pattern (default 61; 1 checks all 1.12 billion of them), and
 * the special and out-of-range values that take {@code Math.exp} itself.
 */
class ExactFloatExpTest {
    private static final int CHUNK = 1 << 20;

    @Test
    void sameBitsAsMathExpOverTheSoftmaxRange() {
        int stride = Integer.getInteger("fsc.exp.stride", 61);
        int first = Float.floatToRawIntBits(-0f);
        int last = Float.floatToRawIntBits(-104f);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * CHUNK, 64);
            long bits = first & 0xFFFFFFFFL;
            long end = last & 0xFFFFFFFFL;
            while (bits <= end) {
                int n = 0;
                for (; n < CHUNK && bits <= end; n++, bits += stride) {
                    seg.setAtIndex(LlmKernels.F32, n, Float.intBitsToFloat((int) bits));
                }
                check(seg, n);
            }
        }
    }

    @Test
    void specialValuesAndEveryTailLength() {
        float[] xs = {
            0f,
            -0f,
            Float.NaN,
            Float.NEGATIVE_INFINITY,
            Float.POSITIVE_INFINITY,
            1f,
            88.7f,
            89f,
            -86.99999f,
            -87f,
            -87.00001f,
            -87.3f,
            -100f,
            -103.97f,
            -104f,
            -150f,
            Float.MIN_VALUE,
            -Float.MIN_VALUE,
            -Float.MAX_VALUE,
            -1e-30f,
            -0.5f,
            -0.6931472f,
            -1f,
            -2f,
            -20f,
            Float.intBitsToFloat(0xFFC00001),
            0.25f
        };
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * xs.length, 64);
            for (int count = 0; count <= xs.length; count++) {
                for (int rotate = 0; rotate < xs.length; rotate++) {
                    for (int i = 0; i < count; i++) {
                        seg.setAtIndex(LlmKernels.F32, i, xs[(i + rotate) % xs.length]);
                    }
                    check(seg, count);
                }
            }
        }
    }

    /** Runs the kernel over the first {@code n} floats of {@code seg} and compares each with the expression. */
    private static void check(MemorySegment seg, int n) {
        float[] in = new float[n];
        MemorySegment.copy(seg, LlmKernels.F32, 0, in, 0, n);
        ExactFloatExp.inPlace(seg, 0, n);
        for (int i = 0; i < n; i++) {
            float want = (float) Math.exp(in[i]);
            float got = seg.getAtIndex(LlmKernels.F32, i);
            if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got)) {
                assertEquals(
                        Float.floatToRawIntBits(want),
                        Float.floatToRawIntBits(got),
                        "exp(" + in[i] + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(in[i])) + "): " + want
                                + " vs " + got);
            }
        }
    }
}
