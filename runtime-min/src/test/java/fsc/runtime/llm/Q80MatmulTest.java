package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.runtime.Parallelism;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.quant.GgmlType;
import fsc.runtime.quant.Q80;
import fsc.runtime.quant.Q80Dot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link LlmKernels#qmatmulQ80} on two threads against {@link Q80Dot}, bit for bit: one row (decode,
 * reusing the thread's quantized row), three, and prefill steps whose token counts leave every
 * remainder of the kernel's eight, over weight counts that leave tails of the 16-row groups; so a
 * token's logits do not depend on the step's batch.
 */
class Q80MatmulTest {
    private final Random random = new Random(17);

    @Test
    void everyStepSizeGivesTheReferenceBits() {
        try (Arena a = Arena.ofShared();
                Parallelism par = Parallelism.of(2)) {
            for (int rows : new int[] {1, 3, 5, 6, 7, 8, 9, 15, 33})
                for (GgmlType type : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q8_0}) {
                    int k = 384;
                    int n = 83;
                    long rowBytes = type.bytesFor(k);
                    MemorySegment w = a.allocate(rowBytes * n, 64);
                    for (long i = 0; i < w.byteSize(); i++) {
                        w.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(256));
                    }
                    for (long b = 0; b < w.byteSize(); b += type.blockBytes()) { // finite scales
                        w.set(ValueLayout.JAVA_SHORT_UNALIGNED, b, Float.floatToFloat16(random.nextFloat() * 0.02f));
                    }
                    MemorySegment x = a.allocate(4L * rows * k, 64);
                    for (long i = 0; i < (long) rows * k; i++) {
                        x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
                    }
                    MemorySegment y = a.allocate(4L * rows * n, 64);
                    for (int round = 0; round < 2; round++) { // the second reuses the decode row
                        y.fill((byte) 0);
                        LlmKernels.qmatmulQ80(par, type, w, x, y, rows, k, n);
                        Q80 xq = Q80.quantize(x, 0, rows, k);
                        for (int j = 0; j < n; j++) {
                            for (int t = 0; t < rows; t++) {
                                float expected = Q80Dot.dot(type, w, j * rowBytes, xq, t);
                                assertEquals(
                                        Float.floatToRawIntBits(expected),
                                        Float.floatToRawIntBits(y.getAtIndex(ValueLayout.JAVA_FLOAT, (long) t * n + j)),
                                        type + " rows " + rows + " row " + j + " token " + t);
                            }
                        }
                    }
                }
        }
    }

    @Test
    void otherWeightTypesAreRefused() {
        try (Arena a = Arena.ofConfined();
                Parallelism par = Parallelism.of(1)) {
            MemorySegment w = a.allocate(GgmlType.Q4_K.bytesFor(256L * 16), 64);
            MemorySegment x = a.allocate(4L * 256, 64);
            MemorySegment y = a.allocate(4L * 16, 64);
            assertThrows(RuntimeFailure.class, () -> LlmKernels.qmatmulQ80(par, GgmlType.Q4_K, w, x, y, 1, 256, 16));
        }
    }
}
