package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.runtime.RuntimeFailure;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The integer K-quant × Q8_K dot products: the scalar reference against the dequantized weights
 * times the dequantized activations summed in f64 (what the integers must equal up to the final
 * f32 scaling), and the vector kernels against the scalar reference bit for bit, over several rows,
 * odd block counts and unaligned weight offsets.
 */
class Q8KDotTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_K", "Q5_K", "Q6_K"})
    void referenceEqualsDequantizedProductAndVectorsEqualReference(GgmlType type) {
        Random rnd = new Random(type.ordinal());
        for (int blocks : new int[] {1, 3, 5}) {
            int k = 256 * blocks;
            int rows = 3;
            float[] x = new float[rows * k];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * (i % 97 == 0 ? 20 : 1));
            }
            Q8K xq = Q8K.quantize(MemorySegment.ofArray(x), 0, rows, k);
            for (long offset : new long[] {0, 1, 7}) {
                MemorySegment w = randomRow(type, k, offset, rnd);
                float[] wf = new float[k];
                Dequantize.row(type, w, offset, wf, 0, k);
                for (int t = 0; t < rows; t++) {
                    double exact = 0;
                    double magnitude = 0;
                    for (int i = 0; i < k; i++) {
                        exact += (double) wf[i] * xq.value(t, i);
                        magnitude += Math.abs((double) wf[i] * xq.value(t, i));
                    }
                    float reference = Q8KDotReference.dot(type, w, offset, xq, t);
                    float vector = Q8KDot.dot(type, w, offset, xq, t);
                    String where = type + " blocks=" + blocks + " offset=" + offset + " row=" + t;
                    assertEquals(exact, reference, 1e-5 * magnitude + 1e-6, where);
                    // Exact ints, then the reference's float steps in its order: the same bits.
                    assertEquals(
                            Float.floatToRawIntBits(reference), Float.floatToRawIntBits(vector), where + " (vector)");
                }
            }
        }
    }

    @Test
    void otherWeightTypesFailLoudly() {
        Q8K x = Q8K.quantize(new float[256]);
        MemorySegment w = MemorySegment.ofArray(new byte[34 * 8]);
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> Q8KDot.dot(GgmlType.Q8_0, w, 0, x, 0));
        assertEquals(true, e.getMessage().contains("Q8_0"), e.getMessage());
    }

    @Test
    void realModelRowsMatchTheReference() {
        try (Arena arena = Arena.ofConfined()) {
            TestGguf g = TestGguf.read(TestGguf.shared("synth-llama-a-Q4_K_M.gguf"), arena);
            Random rnd = new Random(9);
            for (TestGguf.Tensor t : g.tensors.values()) {
                if (!Q8KDot.pairsWith(t.type())) {
                    continue;
                }
                int k = (int) t.dims()[0];
                float[] x = new float[k];
                for (int i = 0; i < k; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                Q8K xq = Q8K.quantize(x);
                long rowBytes = t.type().bytesFor(k);
                for (long r = 0; r < t.elements() / k; r += 13) {
                    float expected = Q8KDotReference.dot(t.type(), t.data(), r * rowBytes, xq, 0);
                    float actual = Q8KDot.dot(t.type(), t.data(), r * rowBytes, xq, 0);
                    assertEquals(
                            Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), t.name() + " row " + r);
                }
            }
        }
    }

    /** Random packed bytes with small, finite f16 scales. */
    private static MemorySegment randomRow(GgmlType type, int n, long offset, Random rnd) {
        long bytes = type.bytesFor(n);
        byte[] raw = new byte[(int) (offset + bytes)];
        rnd.nextBytes(raw);
        MemorySegment s = MemorySegment.ofArray(raw);
        for (long b = 0; b < bytes / type.blockBytes(); b++) {
            long at = offset + b * type.blockBytes();
            if (type == GgmlType.Q6_K) {
                s.set(I16, at + 208, half(rnd));
            } else {
                s.set(I16, at, half(rnd));
                s.set(I16, at + 2, half(rnd));
            }
        }
        return s;
    }

    private static short half(Random rnd) {
        return Float.floatToFloat16((float) (rnd.nextDouble() * 0.02 + 1e-4));
    }
}
