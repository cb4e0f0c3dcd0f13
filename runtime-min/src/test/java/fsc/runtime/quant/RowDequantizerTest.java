package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link RowDequantizer}'s vector code against {@link Dequantize}'s scalar transcription of ggml:
 * bit for bit (so a fresh JVM may run either; {@code dequantize} takes the scalar one until the
 * vector code is compiled).
 */
class RowDequantizerTest {
    @Test
    void equalsTheScalarReferenceForEveryTypeAtOddOffsets() {
        Random random = new Random(5);
        try (Arena a = Arena.ofConfined()) {
            for (GgmlType type : GgmlType.values()) {
                int blocks = 7;
                int n = blocks * type.blockSize();
                MemorySegment w = RandomWeights.of(a, type, 1, n, random);
                // From the second block on (a byte offset that is not a multiple of 64 for most types)
                // into a destination offset of 3.
                int skip = type.blockSize();
                long from = type.bytesFor(skip);
                float[] want = new float[n + 5];
                float[] got = new float[n + 5];
                Dequantize.row(type, w, from, want, 3, n - skip);
                RowDequantizer.dequantizeVector(type, w, from, n - skip, got, 3);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(
                            Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), type + " element " + i);
                }
            }
        }
    }
}
