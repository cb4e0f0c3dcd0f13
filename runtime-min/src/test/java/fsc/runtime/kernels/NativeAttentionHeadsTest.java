package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.runtime.x86.CpuFeatures;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The machine-code attention heads ({@link NativeAttentionHeads}, AVX-512 at 512-bit species)
 * against {@link AttentionHeads}' vector kernels bit for bit: query and key counts below, at and off
 * the tile sizes (the exp's scalar tail included), odd head sizes, value widths that are not a
 * panel, grouped heads, both layouts, no mask, a padding mask and a fully masked sequence.
 */
class NativeAttentionHeadsTest {
    @Test
    void machineCodeHeadsGiveTheVectorKernelsBits() {
        assertEquals(
                CpuFeatures.avx512() && FloatVector.SPECIES_PREFERRED.length() == 16,
                NativeAttentionHeads.machineCode(),
                "where the machine code runs");
        Random rnd = new Random(23);
        int[][] shapes = { // sq, skv, d, dv
            {16, 16, 32, 32},
            {1, 1, 8, 8},
            {5, 7, 3, 5},
            {128, 128, 32, 32},
            {9, 33, 64, 40},
            {24, 17, 16, 48},
            {3, 70, 33, 31}
        };
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : shapes) {
                for (int maskKind = 0; maskKind < 3; maskKind++) {
                    for (int layout : new int[] {
                        0,
                        Attention.Q_SEQ_MAJOR | Attention.K_SEQ_MAJOR | Attention.V_SEQ_MAJOR | Attention.OUT_SEQ_MAJOR
                    }) {
                        check(arena, rnd, s[0], s[1], s[2], s[3], maskKind, layout);
                    }
                }
            }
        }
    }

    /**
     * Heads on a hundred fresh threads, each with new tiles: the kernel writes only its tiles and
     * scratch. A write past them corrupts the C heap, which the allocator catches (the process
     * aborts) within a few dozen threads; the exp tail's scratch once overran its block this way.
     */
    @Test
    void freshThreadsWriteOnlyTheirTiles() throws InterruptedException {
        Throwable[] failure = new Throwable[1];
        for (int i = 0; i < 100 && failure[0] == null; i++) {
            Thread t = new Thread(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    check(arena, new Random(29), 9, 9, 8, 8, 1, 0);
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            t.start();
            t.join();
        }
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
    }

    private static void check(Arena arena, Random rnd, int sq, int skv, int d, int dv, int maskKind, int layout) {
        int b = 2, hq = 4, hkv = 2;
        MemorySegment q = random(arena, (long) b * hq * sq * d, rnd);
        MemorySegment k = random(arena, (long) b * hkv * skv * d, rnd);
        MemorySegment v = random(arena, (long) b * hkv * skv * dv, rnd);
        MemorySegment mask = MemorySegment.NULL;
        long mb = 0;
        if (maskKind > 0) { // [b, 1, 1, skv]: the padding mask of each sequence
            mask = arena.allocate(4L * b * skv);
            for (int bi = 0; bi < b; bi++) {
                for (int j = 0; j < skv; j++) {
                    boolean masked = maskKind == 2 ? bi == 1 : j >= skv - skv / 3;
                    mask.setAtIndex(ValueLayout.JAVA_FLOAT, (long) bi * skv + j, masked ? Float.NEGATIVE_INFINITY : 0f);
                }
            }
            mb = skv;
        }
        long outFloats = (long) b * hq * sq * dv;
        MemorySegment expected = arena.allocate(4 * outFloats);
        MemorySegment actual = arena.allocate(4 * outFloats);
        float scale = (float) (1 / Math.sqrt(d));
        AttentionHeads.heads(
                q,
                k,
                v,
                mask,
                false,
                mb,
                0,
                0,
                1,
                expected,
                hq,
                hkv,
                sq,
                skv,
                d,
                dv,
                scale,
                0f,
                Attention.NOT_CAUSAL,
                layout,
                0,
                b * hq,
                false);
        AttentionHeads.heads(
                q,
                k,
                v,
                mask,
                false,
                mb,
                0,
                0,
                1,
                actual,
                hq,
                hkv,
                sq,
                skv,
                d,
                dv,
                scale,
                0f,
                Attention.NOT_CAUSAL,
                layout,
                0,
                b * hq);
        String what = "sq=" + sq + " skv=" + skv + " d=" + d + " dv=" + dv + " mask=" + maskKind + " layout=" + layout;
        for (long i = 0; i < outFloats; i++) {
            assertEquals(
                    expected.getAtIndex(ValueLayout.JAVA_INT, i),
                    actual.getAtIndex(ValueLayout.JAVA_INT, i),
                    what + " [" + i + "]");
        }
    }

    private static MemorySegment random(Arena arena, long n, Random rnd) {
        MemorySegment s = arena.allocate(4 * n);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian() * 2f);
        }
        return s;
    }
}
