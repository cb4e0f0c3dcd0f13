package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.x86.CpuFeatures;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The llama.cpp-numerics matmul of Q4_0/Q8_0 weights ({@link Q80MatVec}: the machine code of
 * {@code Q80Kernels} on AVX-512 VNNI, else {@link Q80Dot}) against {@link Q80Dot}, bit for bit:
 * ranges of every remainder of 16 (the overlapping tail group), matrices of fewer than 16 rows,
 * unaligned weight rows, output offsets and strides, one to eight activation rows per call from
 * any first row, activations with zero blocks and outliers, weights with zero scales, and every
 * Q8_0 tensor of a real llama.cpp file. The heap-segment path ({@link Q80Dot}) gives the same bits,
 * so the kernels on and off ({@code -Dfsc.kernels.native=false}) agree.
 */
class Q80MatVecTest {
    @Test
    void theMachineCodeRunsWhereTheCpuHasIt() {
        if (CpuFeatures.avx512Vnni()) {
            assertNotNull(Q80MatVec.NATIVE, "AVX-512 VNNI CPU, native kernels on, but none loaded");
        } else {
            assertNull(Q80MatVec.NATIVE);
            System.out.println("Q80MatVecTest: no AVX-512 VNNI (or -Dfsc.kernels.native=false): Q80Dot path tested");
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_0", "Q8_0"})
    void rangesOfRowsEqualTheReferenceBitForBit(GgmlType type) {
        Random rnd = new Random(41 + type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int blocks : new int[] {1, 3, 8, 64, 176}) {
                int k = 32 * blocks;
                int n = 53;
                long rowBytes = type.bytesFor(k);
                MemorySegment packed = RandomWeights.of(arena, type, n, k, rnd);
                // Rows at an odd address: the kernel reads unaligned.
                MemorySegment w = arena.allocate(packed.byteSize() + 7, 64).asSlice(7, packed.byteSize());
                MemorySegment.copy(packed, 0, w, 0, packed.byteSize());
                w.set(ValueLayout.JAVA_SHORT_UNALIGNED, rowBytes * 4, (short) 0); // a zero weight scale
                int tokens = 10;
                float[] x = new float[tokens * k];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (rnd.nextGaussian() * (i % 89 == 0 ? 30 : 1));
                }
                for (int i = 0; i < 32; i++) {
                    x[k * (tokens - 1) + i] = 0; // a block of zeros: d = 0
                }
                Q80 xq = Q80.quantize(MemorySegment.ofArray(x), 0, tokens, k);
                long yOffset = 12;
                long yStride = 4L * n + 20;
                MemorySegment y = arena.allocate(yOffset + 8 * yStride, 64);
                int[][] ranges = {{0, n}, {5, 6}, {3, 20}, {36, 53}, {10, 10}, {16, 48}, {1, 50}, {0, 15}};
                for (int first = 0; first < tokens; first++) {
                    for (int count = 1; count <= Math.min(8, tokens - first); count++) {
                        for (int[] r : ranges) {
                            y.fill((byte) 0x7f);
                            Q80MatVec.rows(type, w, rowBytes, xq, first, count, y, yOffset, yStride, r[0], r[1]);
                            for (int t = 0; t < count; t++) {
                                long at = yOffset + t * yStride;
                                for (int j = r[0]; j < r[1]; j++) {
                                    float expected = Q80Dot.dot(type, w, j * rowBytes, xq, first + t);
                                    float actual = y.get(Dequantize.F32, at + 4L * j);
                                    assertEquals(
                                            Float.floatToRawIntBits(expected),
                                            Float.floatToRawIntBits(actual),
                                            type + " k=" + k + " tokens " + first + "+" + count + " range " + r[0]
                                                    + ".." + r[1] + " token " + t + " row " + j + ": " + expected
                                                    + " vs " + actual);
                                }
                                if (r[0] > 0) { // nothing outside the range is written
                                    assertEquals(
                                            0x7f7f7f7f, y.get(ValueLayout.JAVA_INT_UNALIGNED, at + 4L * (r[0] - 1)));
                                }
                                if (r[1] < n) {
                                    assertEquals(0x7f7f7f7f, y.get(ValueLayout.JAVA_INT_UNALIGNED, at + 4L * r[1]));
                                }
                            }
                        }
                    }
                }
                // A heap copy of the weights takes Q80Dot: the same bits as the machine code.
                MemorySegment heap = MemorySegment.ofArray(new byte[(int) w.byteSize()]);
                MemorySegment.copy(w, 0, heap, 0, w.byteSize());
                MemorySegment yHeap = MemorySegment.ofArray(new float[n]);
                Q80MatVec.rows(type, heap, rowBytes, xq, 2, 1, yHeap, 0, 4L * n, 0, n);
                Q80MatVec.rows(type, w, rowBytes, xq, 2, 1, y, yOffset, yStride, 0, n);
                for (int j = 0; j < n; j++) {
                    assertEquals(
                            Float.floatToRawIntBits(yHeap.getAtIndex(ValueLayout.JAVA_FLOAT, j)),
                            Float.floatToRawIntBits(y.get(Dequantize.F32, yOffset + 4L * j)),
                            type + " k=" + k + " row " + j + ": native vs Java");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_0", "Q8_0"})
    void fewerThanSixteenRowsTakeTheJavaPath(GgmlType type) {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            int k = 96;
            int n = 9;
            long rowBytes = type.bytesFor(k);
            MemorySegment w = RandomWeights.of(arena, type, n, k, rnd);
            float[] x = new float[k];
            for (int i = 0; i < k; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            Q80 xq = Q80.quantize(x);
            MemorySegment y = arena.allocate(4L * n, 64);
            Q80MatVec.rows(type, w, rowBytes, xq, 0, 1, y, 0, 4L * n, 2, 9);
            for (int j = 2; j < 9; j++) {
                assertEquals(
                        Float.floatToRawIntBits(Q80Dot.dot(type, w, j * rowBytes, xq, 0)),
                        Float.floatToRawIntBits(y.getAtIndex(ValueLayout.JAVA_FLOAT, j)));
            }
        }
    }

    /**
     * Block sums of many significant bits, where ggml's order ({@code (sumi·dx)·dy} for Q4_0,
     * {@code sumi·(dx·dy)} for Q8_0) and the other one round differently: activations that follow
     * their weights' signs. The data is checked to tell the two orders apart, so a kernel with the
     * other order fails here.
     */
    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_0", "Q8_0"})
    void largeBlockSumsKeepGgmlsOrderOfTheFloatSteps(GgmlType type) {
        Random rnd = new Random(99 + type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            int k = 256;
            int n = 32;
            long rowBytes = type.bytesFor(k);
            MemorySegment w = RandomWeights.of(arena, type, n, k, rnd);
            for (int j = 1; j < n; j++) { // every row row 0's quants
                MemorySegment.copy(w, 0, w, j * rowBytes, rowBytes);
            }
            for (long b = 0; b < w.byteSize(); b += type.blockBytes()) { // scales with full f16 mantissas
                w.set(ValueLayout.JAVA_SHORT_UNALIGNED, b, (short) (0x1C00 | rnd.nextInt(0x400)));
            }
            float[] row = new float[k];
            Dequantize.row(type, w, 0, row, 0, k);
            float[] x = new float[k];
            for (int i = 0; i < k; i++) {
                x[i] = row[i] * 1000 + (float) rnd.nextGaussian() * 0.05f; // the rows' signs: large sums
            }
            Q80 xq = Q80.quantize(x);
            MemorySegment y = arena.allocate(4L * n, 64);
            Q80MatVec.rows(type, w, rowBytes, xq, 0, 1, y, 0, 4L * n, 0, n);
            int differ = 0;
            for (int j = 0; j < n; j++) {
                float expected = Q80Dot.dot(type, w, j * rowBytes, xq, 0);
                assertEquals(
                        Float.floatToRawIntBits(expected),
                        Float.floatToRawIntBits(y.getAtIndex(ValueLayout.JAVA_FLOAT, j)),
                        type + " row " + j);
                differ += otherOrder(type, w, j * rowBytes, xq) != expected ? 1 : 0;
            }
            assertTrue(differ > 0, "the data does not tell the two orders of the float steps apart");
        }
    }

    /** {@link Q80Dot} with the other order of the per-block float step. */
    private static float otherOrder(GgmlType type, MemorySegment w, long at, Q80 x) {
        int blocks = x.k() / 32;
        float sumf = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = at + (long) type.blockBytes() * b;
            int sumi = 0;
            for (int j = 0; j < 32; j++) {
                int q = type == GgmlType.Q4_0
                        ? (j < 16
                                        ? w.get(ValueLayout.JAVA_BYTE, blk + 2 + j) & 0x0F
                                        : (w.get(ValueLayout.JAVA_BYTE, blk + 2 + j - 16) & 0xFF) >>> 4)
                                - 8
                        : w.get(ValueLayout.JAVA_BYTE, blk + 2 + j);
                sumi += q * x.quant(0, 32 * b + j);
            }
            float dx = Float.float16ToFloat(w.get(ValueLayout.JAVA_SHORT_UNALIGNED, blk));
            float dy = x.scale(0, b);
            sumf += type == GgmlType.Q4_0 ? sumi * (dx * dy) : sumi * dx * dy;
        }
        return sumf;
    }

    @Test
    void realModelTensorsEqualTheReferenceBitForBit() {
        try (Arena arena = Arena.ofConfined()) {
            TestGguf g = TestGguf.read(TestGguf.shared("stories260K-Q8_0.gguf"), arena);
            Random rnd = new Random(5);
            int tested = 0;
            for (TestGguf.Tensor t : g.tensors.values()) {
                if (t.type() != GgmlType.Q8_0 && t.type() != GgmlType.Q4_0) {
                    continue;
                }
                int k = (int) t.dims()[0];
                int n = (int) (t.elements() / k);
                int tokens = 3;
                float[] x = new float[tokens * k];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                Q80 xq = Q80.quantize(MemorySegment.ofArray(x), 0, tokens, k);
                long rowBytes = t.type().bytesFor(k);
                MemorySegment y = arena.allocate(4L * n * tokens, 64);
                Q80MatVec.rows(t.type(), t.data(), rowBytes, xq, 0, tokens, y, 0, 4L * n, 0, n);
                for (int s = 0; s < tokens; s++) {
                    for (int r = 0; r < n; r++) {
                        float expected = Q80Dot.dot(t.type(), t.data(), r * rowBytes, xq, s);
                        assertEquals(
                                Float.floatToRawIntBits(expected),
                                Float.floatToRawIntBits(y.getAtIndex(ValueLayout.JAVA_FLOAT, (long) s * n + r)),
                                t.name() + " token " + s + " row " + r);
                    }
                }
                tested++;
            }
            assertTrue(tested > 0, "no Q8_0 tensor in the file");
        }
    }

    @Test
    void steadyStateAllocatesNothing() {
        int k = 2048;
        int n = 64;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = RandomWeights.of(arena, GgmlType.Q4_0, n, k, new Random(2));
            MemorySegment y = arena.allocate(4L * n, 64);
            MemorySegment x = arena.allocate(4L * k, 64);
            Q80 xq = Q80.quantize(x, 0, 1, k);
            long rowBytes = GgmlType.Q4_0.bytesFor(k);
            com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long fewest = Long.MAX_VALUE;
            for (int window = 0; window < 5; window++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    Q80.quantize(x, 0, 1, k, xq);
                    Q80MatVec.rows(GgmlType.Q4_0, w, rowBytes, xq, 0, 1, y, 0, 4L * n, 0, n - 3);
                }
                fewest = Math.min(fewest, mx.getCurrentThreadAllocatedBytes() - before);
            }
            assertEquals(0, fewest, "bytes allocated by 200 quantize + matvec calls (fewest window)");
        }
    }
}
