package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.x86.CpuFeatures;
import fsc.runtime.x86.Q8KGemmKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The llama.cpp-numerics prefill GEMM ({@link Q8KPanelGemm}: panels of 16 weight rows unpacked once,
 * the machine code of {@code Q8KGemmKernels} for runs of up to 8 tokens) against {@link
 * Q8KDotReference}, bit for bit: token counts that are and are not multiples of the kernel's 8,
 * row counts that leave a partial panel, unaligned weights, an output offset, activations with zero
 * blocks and outliers, and every Q4_K/Q6_K tensor of a real llama-quantize file. Needs AVX-512 VNNI;
 * elsewhere the path is not taken ({@link Q8KPanelGemm#nativeFor} is false), which is checked.
 */
class Q8KPanelGemmTest {
    @Test
    void theKernelsLoadWhereTheCpuHasThem() {
        if (CpuFeatures.avx512Vnni()) {
            assertNotNull(Q8KPanelGemm.NATIVE, "AVX-512 VNNI CPU, native kernels on, but none loaded");
        } else {
            assertFalse(Q8KPanelGemm.nativeFor(
                    GgmlType.Q4_K, Arena.global().allocate(64), Arena.global().allocate(64)));
            System.out.println("Q8KPanelGemmTest: no AVX-512 VNNI (or -Dfsc.kernels.native=false): GEMM not run");
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_K", "Q6_K"})
    void everyRowAndTokenEqualsTheReferenceBitForBit(GgmlType type) {
        Assumptions.assumeTrue(Q8KPanelGemm.NATIVE != null, "needs AVX-512 VNNI");
        Random rnd = new Random(17 + type.ordinal());
        Q8KPanelGemm.Scratch scratch = new Q8KPanelGemm.Scratch();
        Q8KGemmActivations act = new Q8KGemmActivations();
        try (Arena arena = Arena.ofConfined()) {
            for (int blocks : new int[] {1, 3, 8}) {
                int k = 256 * blocks;
                int n = 37; // two whole panels and one of 5 rows
                long rowBytes = type.bytesFor(k);
                MemorySegment packed = RandomWeights.of(arena, type, n, k, rnd);
                MemorySegment w = arena.allocate(packed.byteSize() + 5, 64).asSlice(5, packed.byteSize());
                MemorySegment.copy(packed, 0, w, 0, packed.byteSize());
                for (int tokens : new int[] {1, 3, 8, 13, 17}) {
                    Q8K xq = Q8K.quantize(MemorySegment.ofArray(activations(rnd, tokens, k)), 0, tokens, k);
                    act.prepare(xq);
                    long yOffset = 20;
                    long yBytes = yOffset + 4L * tokens * n;
                    MemorySegment y = arena.allocate(yBytes + 8, 64);
                    y.fill((byte) 0x7f);
                    for (int row0 = 0; row0 < n; row0 += Q8KPanelGemm.ROWS) {
                        Q8KPanelGemm.panel(type, w, act, scratch, row0, n, y, yOffset);
                    }
                    for (int t = 0; t < tokens; t++) {
                        for (int j = 0; j < n; j++) {
                            float expected = Q8KDotReference.dot(type, w, j * rowBytes, xq, t);
                            float actual = y.get(Dequantize.F32, yOffset + 4L * ((long) t * n + j));
                            assertEquals(
                                    Float.floatToRawIntBits(expected),
                                    Float.floatToRawIntBits(actual),
                                    type + " k=" + k + " tokens " + tokens + " token " + t + " row " + j + ": "
                                            + expected + " vs " + actual);
                        }
                    }
                    // Nothing outside the output is written.
                    assertEquals(0x7f7f7f7f, y.get(ValueLayout.JAVA_INT_UNALIGNED, yOffset - 4));
                    assertEquals(0x7f7f7f7f, y.get(ValueLayout.JAVA_INT_UNALIGNED, yBytes));
                }
            }
        }
    }

    @Test
    void realModelTensorsEqualTheReferenceBitForBit() {
        Assumptions.assumeTrue(Q8KPanelGemm.NATIVE != null, "needs AVX-512 VNNI");
        Q8KPanelGemm.Scratch scratch = new Q8KPanelGemm.Scratch();
        Q8KGemmActivations act = new Q8KGemmActivations();
        try (Arena arena = Arena.ofConfined()) {
            TestGguf g = TestGguf.read(TestGguf.shared("synth-llama-a-Q4_K_M.gguf"), arena);
            Random rnd = new Random(9);
            int tested = 0;
            for (TestGguf.Tensor t : g.tensors.values()) {
                if (t.type() != GgmlType.Q4_K && t.type() != GgmlType.Q6_K) {
                    continue;
                }
                int k = (int) t.dims()[0];
                int n = (int) (t.elements() / k);
                int tokens = 9; // a run of 8 and a run of 1
                Q8K xq = Q8K.quantize(MemorySegment.ofArray(activations(rnd, tokens, k)), 0, tokens, k);
                act.prepare(xq);
                long rowBytes = t.type().bytesFor(k);
                MemorySegment y = arena.allocate(4L * tokens * n, 64);
                for (int row0 = 0; row0 < n; row0 += Q8KPanelGemm.ROWS) {
                    Q8KPanelGemm.panel(t.type(), t.data(), act, scratch, row0, n, y, 0);
                }
                for (int tok = 0; tok < tokens; tok++) {
                    for (int r = 0; r < n; r++) {
                        float expected = Q8KDotReference.dot(t.type(), t.data(), r * rowBytes, xq, tok);
                        assertEquals(
                                Float.floatToRawIntBits(expected),
                                Float.floatToRawIntBits(y.getAtIndex(ValueLayout.JAVA_FLOAT, (long) tok * n + r)),
                                t.name() + " token " + tok + " row " + r);
                    }
                }
                tested++;
            }
            assertTrue(tested > 0, "no Q4_K/Q6_K tensor in the file");
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_K", "Q6_K"})
    void machineCodeUnpackingWritesTheJavaLoopsBytes(GgmlType type) {
        Assumptions.assumeTrue(Q8KPanelGemm.UNPACK != null, "needs AVX-512 VNNI");
        int kind = type == GgmlType.Q4_K ? Q8KGemmKernels.Q4_K : Q8KGemmKernels.Q6_K;
        Random rnd = new Random(23 + type.ordinal());
        Q8KPanelGemm.Scratch scratch = new Q8KPanelGemm.Scratch();
        try (Arena arena = Arena.ofConfined()) {
            for (int blocks : new int[] {1, 3, 11}) {
                int k = 256 * blocks;
                int n = 35;
                long rowBytes = type.bytesFor(k);
                MemorySegment packed = RandomWeights.of(arena, type, n, k, rnd);
                MemorySegment w = arena.allocate(packed.byteSize() + 3, 64).asSlice(3, packed.byteSize());
                MemorySegment.copy(packed, 0, w, 0, packed.byteSize());
                // Scale factors at the edges of f16: subnormal, negative, largest, zero.
                short[] edges = {0x0001, (short) 0x83ff, 0x7bff, 0, (short) 0x8000, 0x0400};
                for (int i = 0; i < edges.length; i++) {
                    long at = (long) i * type.blockBytes() + (type == GgmlType.Q4_K ? 2L * (i % 2) : 208);
                    w.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, edges[i]);
                }
                long panelBytes = (long) blocks * Q8KGemmKernels.panelBlock(kind);
                MemorySegment fromJava = arena.allocate(panelBytes, 64);
                MemorySegment fromCode = arena.allocate(panelBytes, 64);
                for (int row0 : new int[] {0, 1, n - Q8KPanelGemm.ROWS}) {
                    fromCode.fill((byte) 0x55);
                    Q8KPanelGemm.unpack(kind, w, rowBytes, row0, Q8KPanelGemm.ROWS, blocks, fromJava, scratch, false);
                    Q8KPanelGemm.unpack(kind, w, rowBytes, row0, Q8KPanelGemm.ROWS, blocks, fromCode, scratch, true);
                    long differs = fromJava.mismatch(fromCode);
                    assertEquals(-1, differs, type + " k=" + k + " rows from " + row0 + ": first different byte");
                }
            }
        }
    }

    @Test
    void vectorQuantizingWritesTheReferenceLayout() {
        int k = 256 * 6;
        int tokens = 7;
        Random rnd = new Random(41);
        float[] x = activations(rnd, tokens, k);
        // Block 0 of token 1: values that scale to exact halves (max -127: iscale 1), ties to even.
        for (int i = 0; i < 256; i++) {
            x[k + i] = (i % 2 == 0 ? 0.5f : -2.5f) + (i % 7) - 3;
        }
        x[k + 17] = -127;
        // Token 2: the largest magnitude twice with both signs (the first decides), and tiny values.
        x[2 * k + 40] = 9.5f;
        x[2 * k + 41] = -9.5f;
        x[2 * k + 300] = Float.MIN_VALUE;
        x[2 * k + 301] = -1e-30f;
        // Token 3: a NaN in block 2, an infinity in block 3 (the scalar steps decide what they give).
        x[3 * k + 512 + 5] = Float.NaN;
        x[3 * k + 768 + 9] = Float.NEGATIVE_INFINITY;
        MemorySegment xs = Arena.ofAuto().allocate(4L * x.length + 12, 64);
        MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT_UNALIGNED, 12, x.length);
        Q8KGemmActivations reference = new Q8KGemmActivations().prepare(Q8K.quantize(xs, 12, tokens, k));
        Q8KGemmActivations fast = new Q8KGemmActivations().reserve(tokens, k);
        fast.quantize(xs, 12, 0, 3);
        fast.quantize(xs, 12, 3, tokens);
        long bytes = (long) tokens * (k / 256) * Q8KGemmKernels.X_BLOCK;
        assertEquals(-1, reference.mem.asSlice(0, bytes).mismatch(fast.mem.asSlice(0, bytes)), "first differing byte");
    }

    @Test
    void refusesHeapSegmentsAndOtherTypes() {
        MemorySegment heap = MemorySegment.ofArray(new byte[4096]);
        MemorySegment off = Arena.global().allocate(4096);
        assertFalse(Q8KPanelGemm.nativeFor(GgmlType.Q4_K, heap, off));
        assertFalse(Q8KPanelGemm.nativeFor(GgmlType.Q4_K, off, heap));
        assertFalse(Q8KPanelGemm.nativeFor(GgmlType.Q5_K, off, off));
        assertThrows(
                IllegalStateException.class,
                () -> Q8KPanelGemm.panel(
                        GgmlType.Q5_K, off, new Q8KGemmActivations(), new Q8KPanelGemm.Scratch(), 0, 1, off, 0));
    }

    @Test
    void steadyStateAllocatesNothing() {
        Assumptions.assumeTrue(Q8KPanelGemm.NATIVE != null, "needs AVX-512 VNNI");
        int k = 2048;
        int n = 48;
        int tokens = 11;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = RandomWeights.of(arena, GgmlType.Q6_K, n, k, new Random(3));
            MemorySegment y = arena.allocate(4L * tokens * n, 64);
            float[] values = activations(new Random(4), tokens, k);
            MemorySegment x = arena.allocate(4L * values.length, 64);
            MemorySegment.copy(values, 0, x, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
            Q8KGemmActivations act = new Q8KGemmActivations();
            Q8KPanelGemm.Scratch scratch = new Q8KPanelGemm.Scratch();
            com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            // Up to 40 windows: C2 compiles the Vector API quantizer after ~150 calls, and recompiles it
            // after each uncommon trap (a branch, such as the zero block's, first taken), which on a
            // busy machine can take several windows; until then it runs boxed vectors.
            long fewest = Long.MAX_VALUE;
            for (int window = 0; window < 40 && fewest > 0; window++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 50; i++) {
                    act.reserve(tokens, k).quantize(x, 0, 0, tokens);
                    for (int row0 = 0; row0 < n; row0 += Q8KPanelGemm.ROWS) {
                        Q8KPanelGemm.panel(GgmlType.Q6_K, w, act, scratch, row0, n, y, 0);
                    }
                }
                fewest = Math.min(fewest, mx.getCurrentThreadAllocatedBytes() - before);
            }
            assertEquals(0, fewest, "bytes allocated by 50 quantize + GEMM calls (fewest window)");
        }
    }

    /** Gaussian activations with outliers every 89 values and the second block of each row all zeros. */
    static float[] activations(Random rnd, int tokens, int k) {
        float[] x = new float[tokens * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * (i % 89 == 0 ? 30 : 1));
        }
        if (k >= 512) {
            for (int t = 0; t < tokens; t++) {
                java.util.Arrays.fill(x, t * k + 256, t * k + 512, 0f);
            }
        }
        return x;
    }
}
