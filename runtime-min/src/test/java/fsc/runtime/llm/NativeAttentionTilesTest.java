package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.runtime.x86.CpuFeatures;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The machine-code attention tiles give the Vector API tiles' bits: scores of four heads over a
 * block of positions (rows a KV width apart, the block at an offset), and the weighted sums of V rows
 * continued from earlier sums, for block lengths 1 to 17.
 */
class NativeAttentionTilesTest {
    private static final int HD = 64, HEADS = 4, KV_DIM = 256;

    @Test
    void scoresAndValuesMatchTheVectorApiTilesBitForBit() {
        boolean expected = CpuFeatures.avx512() && FloatVector.SPECIES_PREFERRED.length() == 16;
        MemorySegment probe = Arena.ofAuto().allocate(64);
        assertEquals(expected, NativeAttentionTiles.applies(HD, 8, probe), "where the kernels exist");
        if (!expected) {
            return; // the Vector API tiles are the only ones here; LlmKernelsTest covers them
        }
        Random rnd = new Random(11);
        int len = 40;
        long rowStride = 4L * KV_DIM;
        MemorySegment cache = Arena.ofAuto().allocate(rowStride * (len + 2) + 4L * HD, 64);
        for (long i = 0; i < cache.byteSize() / 4; i++) {
            cache.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
        }
        float[] q = new float[HEADS * HD];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(7) - 3));
        }
        NativeAttentionTiles.Buffers b = new NativeAttentionTiles.Buffers().fit(HEADS, HD, len);
        MemorySegment.copy(q, 0, b.q, ValueLayout.JAVA_FLOAT, 0, q.length);
        for (int count = 1; count <= 17; count++) {
            int j0 = 5;
            int j1 = j0 + count;
            long rows = rowStride * 2 + 4L * HD; // KV head 1's rows, from the third position
            float[] heap = new float[HEADS * len];
            AttentionTiles.scores4x4(q, 0, cache, rows, rowStride, heap, 0, len, j0, j1, 0.125f);
            b.scores.fill((byte) 0);
            NativeAttentionTiles.scores4x4(b, 0, cache, rows, rowStride, 0, len, j0, j1, 0.125f);
            float[] got = new float[HEADS * len];
            MemorySegment.copy(b.scores, ValueLayout.JAVA_FLOAT, 0, got, 0, got.length);
            assertArrayEquals(heap, got, "scores over " + count + " positions");

            float[] sums = new float[HEADS * HD];
            for (int i = 0; i < sums.length; i++) {
                sums[i] = (float) rnd.nextGaussian();
            }
            MemorySegment.copy(sums, 0, b.sums, ValueLayout.JAVA_FLOAT, 0, sums.length);
            AttentionTiles.values4x4(heap, 0, len, cache, rows, rowStride, sums, 0, j0, j1);
            NativeAttentionTiles.values4x4(b, 0, len, cache, rows, rowStride, 0, j0, j1);
            float[] gotSums = new float[HEADS * HD];
            MemorySegment.copy(b.sums, ValueLayout.JAVA_FLOAT, 0, gotSums, 0, gotSums.length);
            for (int i = 0; i < sums.length; i++) {
                assertEquals(
                        Float.floatToRawIntBits(sums[i]),
                        Float.floatToRawIntBits(gotSums[i]),
                        "sum " + i + " over " + count + " positions");
            }
        }
    }
}
