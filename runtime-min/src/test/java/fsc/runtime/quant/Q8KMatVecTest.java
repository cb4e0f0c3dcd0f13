package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import fsc.runtime.x86.CpuFeatures;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The llama.cpp-numerics decode matvec ({@link Q8KMatVec}: the machine code of {@code
 * KQuantKernels} on AVX-512 VNNI, else {@link Q8KDot} row by row) against {@link
 * Q8KDotReference}, bit for bit: odd row counts and ranges, unaligned weight rows, output offsets,
 * several activation rows, activations with zero blocks and large outliers, and every Q4_K/Q6_K
 * tensor of a real llama-quantize file. The heap-segment path (which falls back to {@link Q8KDot})
 * gives the same bits, so the kernels on and off ({@code -Dfsc.kernels.native=false}) agree.
 */
class Q8KMatVecTest {
    @Test
    void theMachineCodeRunsWhereTheCpuHasIt() {
        if (CpuFeatures.avx512Vnni()) {
            assertNotNull(Q8KMatVec.NATIVE, "AVX-512 VNNI CPU, native kernels on, but none loaded");
            if (Q80Packed.ENABLED) {
                assertNotNull(Q8KMatVec.PACKED, "repacking on, but the packed Q4_K kernel is not loaded");
            }
        } else {
            assertNull(Q8KMatVec.NATIVE);
            System.out.println("Q8KMatVecTest: no AVX-512 VNNI (or -Dfsc.kernels.native=false): Q8KDot path tested");
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_K", "Q6_K"})
    void rangesOfRowsEqualTheReferenceBitForBit(GgmlType type) {
        Random rnd = new Random(31 + type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int blocks : new int[] {1, 3, 8, 22}) {
                int k = 256 * blocks;
                int n = 37;
                long rowBytes = type.bytesFor(k);
                // Rows at an odd address: the kernel reads unaligned.
                MemorySegment packed = RandomWeights.of(arena, type, n, k, rnd);
                MemorySegment w = arena.allocate(packed.byteSize() + 7, 64).asSlice(7, packed.byteSize());
                MemorySegment.copy(packed, 0, w, 0, packed.byteSize());
                int rows = 3;
                float[] x = new float[rows * k];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (rnd.nextGaussian() * (i % 89 == 0 ? 30 : 1));
                }
                for (int i = 256; i < Math.min(512, k); i++) {
                    x[i] = 0; // a block of zeros: d = 0
                }
                Q8K xq = Q8K.quantize(MemorySegment.ofArray(x), 0, rows, k);
                Q8KMatVec.Prepared prepared = new Q8KMatVec.Prepared().prepare(xq);
                long yOffset = 12;
                MemorySegment y = arena.allocate(yOffset + 4L * n, 64);
                // The kernel takes rows four at a time, then one at a time: every remainder, with and
                // without groups of four before it, and a group ending at the last row; Q4_K ranges
                // from a multiple of 16 take whole packed groups of 16 first (KQuantPacked).
                int[][] ranges = {
                    {0, n}, {5, 6}, {3, 20}, {36, 37}, {10, 10}, {0, 4}, {1, 7}, {2, 9}, {8, 16}, {33, 36}, {1, 3},
                    {33, 37}, {0, 32}, {16, 37}, {16, 32}, {32, 37}
                };
                for (int t = 0; t < rows; t++) {
                    for (int[] r : ranges) {
                        y.fill((byte) 0x7f);
                        Q8KMatVec.rows(type, w, rowBytes, prepared, t, y, yOffset, r[0], r[1]);
                        for (int j = r[0]; j < r[1]; j++) {
                            float expected = Q8KDotReference.dot(type, w, j * rowBytes, xq, t);
                            float actual = y.get(Dequantize.F32, yOffset + 4L * j);
                            assertEquals(
                                    Float.floatToRawIntBits(expected),
                                    Float.floatToRawIntBits(actual),
                                    type + " k=" + k + " act row " + t + " range " + r[0] + ".." + r[1] + " row " + j
                                            + ": " + expected + " vs " + actual);
                        }
                        if (r[0] > 0) { // nothing outside the range is written
                            assertEquals(0x7f7f7f7f, y.get(ValueLayout.JAVA_INT_UNALIGNED, yOffset + 4L * (r[0] - 1)));
                        }
                        if (r[1] < n) {
                            assertEquals(0x7f7f7f7f, y.get(ValueLayout.JAVA_INT_UNALIGNED, yOffset + 4L * r[1]));
                        }
                    }
                }
                // A heap copy of the weights takes Q8KDot: the same bits as the machine code.
                MemorySegment heap = MemorySegment.ofArray(new byte[(int) w.byteSize()]);
                MemorySegment.copy(w, 0, heap, 0, w.byteSize());
                MemorySegment yHeap = MemorySegment.ofArray(new float[n]);
                Q8KMatVec.rows(type, heap, rowBytes, prepared, 1, yHeap, 0, 0, n);
                Q8KMatVec.rows(type, w, rowBytes, prepared, 1, y, yOffset, 0, n);
                for (int j = 0; j < n; j++) {
                    assertEquals(
                            Float.floatToRawIntBits(yHeap.getAtIndex(ValueLayout.JAVA_FLOAT, j)),
                            Float.floatToRawIntBits(y.get(Dequantize.F32, yOffset + 4L * j)),
                            type + " k=" + k + " row " + j + ": native vs Java");
                }
            }
        }
    }

    @Test
    void realModelTensorsEqualTheReferenceBitForBit() {
        try (Arena arena = Arena.ofConfined()) {
            TestGguf g = TestGguf.read(TestGguf.shared("synth-llama-a-Q4_K_M.gguf"), arena);
            Random rnd = new Random(5);
            int tested = 0;
            for (TestGguf.Tensor t : g.tensors.values()) {
                if (t.type() != GgmlType.Q4_K && t.type() != GgmlType.Q6_K) {
                    continue;
                }
                int k = (int) t.dims()[0];
                int n = (int) (t.elements() / k);
                float[] x = new float[k];
                for (int i = 0; i < k; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                Q8K xq = Q8K.quantize(x);
                Q8KMatVec.Prepared prepared = new Q8KMatVec.Prepared().prepare(xq);
                long rowBytes = t.type().bytesFor(k);
                MemorySegment y = arena.allocate(4L * n, 64);
                Q8KMatVec.rows(t.type(), t.data(), rowBytes, prepared, 0, y, 0, 0, n);
                for (int r = 0; r < n; r++) {
                    float expected = Q8KDotReference.dot(t.type(), t.data(), r * rowBytes, xq, 0);
                    assertEquals(
                            Float.floatToRawIntBits(expected),
                            Float.floatToRawIntBits(y.getAtIndex(ValueLayout.JAVA_FLOAT, r)),
                            t.name() + " row " + r);
                }
                tested++;
            }
            assertEquals(true, tested > 0, "no Q4_K/Q6_K tensor in the file");
        }
    }

    @Test
    void steadyStateAllocatesNothing() {
        int k = 2048;
        int n = 64;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = RandomWeights.of(arena, GgmlType.Q4_K, n, k, new Random(2));
            MemorySegment y = arena.allocate(4L * n, 64);
            Q8K xq = Q8K.quantize(new float[k]);
            Q8KMatVec.Prepared prepared = new Q8KMatVec.Prepared().prepare(xq);
            long rowBytes = GgmlType.Q4_K.bytesFor(k);
            com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long fewest = Long.MAX_VALUE;
            for (int window = 0; window < 5; window++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    prepared.prepare(xq);
                    Q8KMatVec.rows(GgmlType.Q4_K, w, rowBytes, prepared, 0, y, 0, 0, n);
                }
                fewest = Math.min(fewest, mx.getCurrentThreadAllocatedBytes() - before);
            }
            assertEquals(0, fewest, "bytes allocated by 200 prepare + matvec calls (fewest window)");
        }
    }
}
