package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The blocked attention path's scalar twins give its vector code's bits, so a fresh JVM switching
 * between them mid-model changes nothing: query rows and keys off the tile sizes, odd head sizes,
 * grouped-query heads, every layout bit, causal and not, the fused key mask, a per-row mask with a
 * fully masked row, a bool mask and a softcap (the scalar mask path), two batch elements.
 */
class AttentionHeadsColdTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Test
    void scalarTwinsAreBitIdenticalToTheVectorTiles() {
        Random rnd = new Random(483);
        int[][] shapes = {{32, 32, 37, 45}, {19, 37, 13, 50}, {64, 16, 40, 33}};
        for (int[] sh : shapes) {
            for (int layout = 0; layout < 16; layout += 3) {
                for (int maskKind = 0; maskKind < 4; maskKind++) {
                    for (long causal : new long[] {Attention.NOT_CAUSAL, 0, sh[3] - sh[2]}) {
                        check(rnd, sh[0], sh[1], sh[2], sh[3], layout, maskKind, causal);
                    }
                }
            }
        }
    }

    private static void check(Random rnd, int d, int dv, int sq, int skv, int layout, int maskKind, long causal) {
        int b = 2;
        int hq = 4;
        int hkv = 2;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = random(arena, rnd, (long) b * hq * sq * d);
            MemorySegment k = random(arena, rnd, (long) b * hkv * skv * d);
            MemorySegment v = random(arena, rnd, (long) b * hkv * skv * dv);
            MemorySegment mask = MemorySegment.NULL;
            long mb = 0;
            long mi = 0;
            boolean boolMask = false;
            float softcap = 0f;
            if (maskKind == 1) { // additive [B,1,1,Skv]: fused into the scores
                mask = random(arena, rnd, (long) b * skv);
                mb = skv;
            } else if (maskKind == 2) { // additive [B,1,Sq,Skv], row 3 all -inf: row by row
                mask = random(arena, rnd, (long) b * sq * skv);
                mb = (long) sq * skv;
                mi = skv;
                for (int j = 0; j < skv; j++) {
                    mask.set(F32, 4L * (3 * skv + j), Float.NEGATIVE_INFINITY);
                }
            } else if (maskKind == 3) { // bool [1,1,1,Skv] with a softcap: the scalar mask path
                mask = arena.allocate(skv);
                for (int j = 0; j < skv; j++) {
                    mask.set(ValueLayout.JAVA_BYTE, j, (byte) (j % 4 == 2 ? 0 : 1));
                }
                boolMask = true;
                softcap = 20f;
            }
            long outBytes = 4L * b * hq * sq * dv;
            MemorySegment vec = arena.allocate(outBytes);
            MemorySegment cold = arena.allocate(outBytes);
            AttentionHeads.heads(
                    q, k, v, mask, boolMask, mb, 0, mi, 1, vec, hq, hkv, sq, skv, d, dv, 0.125f, softcap, causal,
                    layout, 1, b * hq, false);
            AttentionHeads.heads(
                    q, k, v, mask, boolMask, mb, 0, mi, 1, cold, hq, hkv, sq, skv, d, dv, 0.125f, softcap, causal,
                    layout, 1, b * hq, true);
            assertEquals(
                    -1L,
                    vec.mismatch(cold),
                    "d=" + d + " dv=" + dv + " sq=" + sq + " skv=" + skv + " layout=" + layout + " mask=" + maskKind
                            + " causal=" + causal);
        }
    }

    private static MemorySegment random(Arena arena, Random rnd, long n) {
        MemorySegment s = arena.allocate(4 * n);
        for (long i = 0; i < n; i++) {
            s.set(F32, 4 * i, (float) rnd.nextGaussian());
        }
        return s;
    }
}
