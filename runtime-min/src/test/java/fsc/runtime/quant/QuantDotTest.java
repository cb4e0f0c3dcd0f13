package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every vector kernel against the scalar reference: odd block counts, unaligned offsets. */
class QuantDotTest {
    private static final Arena ARENA = Arena.ofAuto();
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void theVectorPathIsTheOneUnderTest() {
        // The build and GPU machines have AVX2 or AVX-512; on them the scalar fallback must not hide a
        // bug. Only a JVM held to 128-bit vectors (-XX:MaxVectorSize=16, the width matrix's NEON-class
        // run) has 4 lanes, and there the scalar path is the product and what the tests below check.
        assertTrue(QuantDot.VECTORIZED || QuantDot.L == 4, "preferred species has " + QuantDot.L + " float lanes");
        assertEquals(QuantDot.L >= 8, QuantDot.VECTORIZED, "vector kernels exist for 8 and 16 lanes");
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void matchesTheScalarReference(GgmlType type) {
        Random rnd = new Random(type.ordinal());
        for (int blocks : new int[] {1, 3, 5, 7}) {
            int n = blocks * type.blockSize() * (type.blockSize() == 1 ? 37 : 1); // plain types: odd tails
            for (long rowOffset : new long[] {0, 1, 3, 17}) {
                for (int xOffset : new int[] {0, 1, 5}) {
                    MemorySegment row = randomRow(type, n, rowOffset, rnd);
                    float[] x = new float[xOffset + n + 3];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) rnd.nextGaussian();
                    }
                    float expected = Dequantize.dot(type, row, rowOffset, x, xOffset, n);
                    float actual = QuantDot.dot(type, row, rowOffset, x, xOffset, n);
                    // The same activations in an off-heap segment at an unaligned byte offset.
                    long xAt = 4L * xOffset + 2;
                    MemorySegment xs = ARENA.allocate(xAt + 4L * n);
                    MemorySegment.copy(x, xOffset, xs, Dequantize.F32, xAt, n);
                    float fromSegment = QuantDot.dot(type, row, rowOffset, xs, xAt, n);
                    float[] w = new float[n];
                    Dequantize.row(type, row, rowOffset, w, 0, n);
                    double scale = 0;
                    for (int i = 0; i < n; i++) {
                        scale += Math.abs(w[i] * x[xOffset + i]);
                    }
                    assertEquals(
                            expected,
                            actual,
                            1e-5 * scale + 1e-6,
                            type + " blocks=" + blocks + " rowOffset=" + rowOffset + " xOffset=" + xOffset);
                    assertEquals(actual, fromSegment, 1e-6 * scale + 1e-6, type + " from a segment");
                }
            }
        }
    }

    /** Random packed bytes, except scale fields, which get sane f16 values so no block is Inf/NaN. */
    private static MemorySegment randomRow(GgmlType type, int n, long offset, Random rnd) {
        long bytes = type.bytesFor(n);
        byte[] raw = new byte[(int) (offset + bytes)];
        rnd.nextBytes(raw);
        MemorySegment s = MemorySegment.ofArray(raw);
        for (long b = 0; b < bytes / type.blockBytes(); b++) {
            long at = offset + b * type.blockBytes();
            switch (type) {
                case F32 -> s.set(Dequantize.F32, at, (float) rnd.nextGaussian());
                case F16, BF16 -> s.set(I16, at, halfOrBrain(type, (float) rnd.nextGaussian()));
                case Q8_0, Q4_0 -> s.set(I16, at, half(rnd));
                case Q4_1, Q4_K, Q5_K -> {
                    s.set(I16, at, half(rnd));
                    s.set(I16, at + 2, half(rnd));
                }
                case Q6_K -> s.set(I16, at + 208, half(rnd));
            }
        }
        return s;
    }

    private static short half(Random rnd) {
        return Float.floatToFloat16((float) (rnd.nextDouble() * 0.02 + 1e-4));
    }

    private static short halfOrBrain(GgmlType type, float v) {
        return type == GgmlType.F16 ? Float.floatToFloat16(v) : (short) (Float.floatToRawIntBits(v) >>> 16);
    }

    @Test
    void everyFiniteHalfWidensExactly() {
        // One-hot x picks out a single weight, so the dot product is that weight's f32 value.
        // Halves with exponent 31 (Inf/NaN) fill whole aligned chunks and are left out: 0*Inf is NaN.
        int lanes = QuantDot.L;
        MemorySegment row = ARENA.allocate(2 * 65536);
        for (int h = 0; h < 65536; h++) {
            row.set(I16, 2L * h, (short) h);
        }
        float[] x = new float[lanes];
        for (int base = 0; base < 65536; base += lanes) {
            if (!Float.isFinite(Float.float16ToFloat((short) base))) {
                continue;
            }
            for (int k = 0; k < lanes; k++) {
                java.util.Arrays.fill(x, 0);
                x[k] = 1;
                float expected = Float.float16ToFloat((short) (base + k));
                float actual = QuantDot.dot(GgmlType.F16, row, 2L * base, x, 0, lanes);
                assertEquals(expected, actual, 0, "half 0x" + Integer.toHexString(base + k));
            }
        }
    }

    @Test
    void realQuantizedRowsMatchTheReference() {
        try (Arena arena = Arena.ofConfined()) {
            for (String model : new String[] {"stories260K-Q8_0.gguf", "synth-llama-a-Q4_K_M.gguf"}) {
                TestGguf g = TestGguf.read(TestGguf.shared(model), arena);
                Random rnd = new Random(3);
                for (TestGguf.Tensor t : g.tensors.values()) {
                    int rowLen = (int) t.dims()[0];
                    long rows = t.elements() / rowLen;
                    float[] x = new float[rowLen];
                    for (int i = 0; i < rowLen; i++) {
                        x[i] = (float) rnd.nextGaussian();
                    }
                    long rowBytes = t.type().bytesFor(rowLen);
                    for (long r = 0; r < rows; r += 7) {
                        float expected = Dequantize.dot(t.type(), t.data(), r * rowBytes, x, 0, rowLen);
                        float actual = QuantDot.dot(t.type(), t.data(), r * rowBytes, x, 0, rowLen);
                        assertEquals(expected, actual, 1e-4 * (1 + Math.abs(expected)), t.name() + " row " + r);
                    }
                }
            }
        }
    }
}
