package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The scalar twin of attention's row path gives the vector path's bits, so a fresh JVM switching
 * between them mid-model changes nothing: head sizes that are and are not multiples of the lane
 * count, grouped-query heads, every layout bit, causal and not, softcap, additive and bool masks
 * (broadcast over some axes, with fully masked rows), two batch elements, a head range that starts
 * and ends inside the flattened heads.
 */
class AttentionRowsColdTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int VL = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void scalarTwinIsBitIdenticalToTheVectorPath() {
        Random rnd = new Random(19);
        int[][] headDims = {{32, 32}, {19, 37}, {VL, 2 * VL + 3}, {3, 5}};
        int cases = 0;
        for (int[] dims : headDims) {
            for (int layout = 0; layout < 16; layout += 5) {
                for (int maskKind = 0; maskKind < 3; maskKind++) {
                    for (long causal : new long[] {Attention.NOT_CAUSAL, 0, 2}) {
                        check(rnd, dims[0], dims[1], layout, maskKind, causal, cases % 4 == 3 ? 30f : 0f);
                        cases++;
                    }
                }
            }
        }
    }

    private static void check(Random rnd, int d, int dv, int layout, int maskKind, long causal, float softcap) {
        int b = 2;
        int hq = 4;
        int hkv = 2;
        int sq = 5;
        int skv = 7;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = random(arena, rnd, (long) b * hq * sq * d);
            MemorySegment k = random(arena, rnd, (long) b * hkv * skv * d);
            MemorySegment v = random(arena, rnd, (long) b * hkv * skv * dv);
            MemorySegment mask = MemorySegment.NULL;
            long mb = 0;
            long mh = 0;
            long mi = skv;
            long mj = 1;
            if (maskKind == 1) { // additive f32 [B,1,Sq,Skv], one row all -inf
                mask = random(arena, rnd, (long) b * sq * skv);
                mb = (long) sq * skv;
                for (int j = 0; j < skv; j++) {
                    mask.set(F32, 4L * (2 * skv + j), Float.NEGATIVE_INFINITY);
                }
            } else if (maskKind == 2) { // bool [1,1,1,Skv]
                mask = arena.allocate(skv);
                for (int j = 0; j < skv; j++) {
                    mask.set(ValueLayout.JAVA_BYTE, j, (byte) (j % 3 == 1 ? 0 : 1));
                }
                mi = 0;
            }
            long outFloats = (long) b * hq * sq * dv;
            MemorySegment vec = arena.allocate(4 * outFloats);
            MemorySegment cold = arena.allocate(4 * outFloats);
            vec.fill((byte) 0x7f);
            cold.fill((byte) 0x7f);
            int from = 1;
            int to = b * hq - 1;
            Attention.rowHeadsVector(
                    q,
                    k,
                    v,
                    mask,
                    maskKind == 2,
                    mb,
                    mh,
                    mi,
                    mj,
                    vec,
                    hq,
                    hkv,
                    sq,
                    skv,
                    d,
                    dv,
                    0.25f,
                    softcap,
                    causal,
                    layout,
                    new float[skv],
                    from,
                    to);
            AttentionRowsCold.rowHeads(
                    q,
                    k,
                    v,
                    mask,
                    maskKind == 2,
                    mb,
                    mh,
                    mi,
                    mj,
                    cold,
                    hq,
                    hkv,
                    sq,
                    skv,
                    d,
                    dv,
                    0.25f,
                    softcap,
                    causal,
                    layout,
                    new float[skv],
                    from,
                    to,
                    VL);
            assertEquals(
                    -1L,
                    vec.mismatch(cold),
                    "d=" + d + " dv=" + dv + " layout=" + layout + " mask=" + maskKind + " causal=" + causal
                            + " softcap=" + softcap);
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
