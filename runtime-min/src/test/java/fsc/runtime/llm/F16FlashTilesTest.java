package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import fsc.runtime.ElemType;
import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The machine-code flash tiles against the scalar emulation of llama.cpp's flash attention, bit for
 * bit: one sequence prefilled over {@code n} positions (so every length {@code 1..n} is attended)
 * in a paged cache whose blocks are out of order, for several group sizes and KV head counts.
 */
class F16FlashTilesTest {
    private static final int HD = 64;
    private static final int BLOCK = 16;

    @ParameterizedTest
    @CsvSource({"1, 4, 37, 2", "2, 8, 300, 3", "1, 12, 130, 1", "4, 4, 70, 6", "2, 8, 600, 0.5"})
    void sameBitsAsTheScalarEmulation(int kvHeads, int group, int n, double qScale) {
        Random random = new Random(31L * n + group);
        PagedLayout layout =
                new PagedLayout(2, BLOCK, kvHeads * group, kvHeads, HD, (float) (1 / Math.sqrt(HD)), ElemType.F16);
        int blocks = (n + BLOCK - 1) / BLOCK;
        int numBlocks = blocks + 3;
        int[] table = new int[blocks];
        for (int b = 0; b < blocks; b++) {
            table[b] = (b * 7 + 2) % numBlocks; // 7 is prime to every numBlocks here: distinct blocks
        }
        float[] q = gaussian(random, n * layout.heads() * HD, qScale);
        float[] k = gaussian(random, n * layout.kvDim(), 2);
        float[] v = gaussian(random, n * layout.kvDim(), 1);
        // A rising trend in the keys' direction makes the running max grow often (many rescales).
        for (int j = 0; j < n; j++) {
            for (int e = 0; e < layout.kvDim(); e++) {
                k[j * layout.kvDim() + e] += 0.01f * j;
            }
        }
        try (Arena a = Arena.ofShared();
                Parallelism par = Parallelism.of(2)) {
            assumeTrue(F16FlashTiles.applies(HD, group, a.allocate(1)), "no AVX-512 flash tiles on this CPU");
            float[] tiles = attend(a, par, layout, q, k, v, table, numBlocks, n, true);
            float[] scalar = attend(a, par, layout, q, k, v, table, numBlocks, n, false);
            for (int i = 0; i < scalar.length; i++) {
                int token = i / (layout.heads() * HD);
                assertEquals(
                        Float.floatToRawIntBits(scalar[i]),
                        Float.floatToRawIntBits(tiles[i]),
                        "token " + token + " head " + i / HD % layout.heads() + " element " + i % HD + ": " + scalar[i]
                                + " vs " + tiles[i]);
            }
        }
    }

    @Test
    void decodeStepsAllocateNothing() {
        int n = 100;
        PagedLayout layout = new PagedLayout(1, BLOCK, 16, 2, HD, 0.125f, ElemType.F16);
        int blocks = (n + BLOCK - 1) / BLOCK;
        Random random = new Random(5);
        try (Arena a = Arena.ofConfined();
                Parallelism par = Parallelism.of(1)) {
            assumeTrue(F16FlashTiles.applies(HD, 8, a.allocate(1)), "no AVX-512 flash tiles on this CPU");
            MemorySegment cache = a.allocate(blocks * layout.blockBytes(), 64);
            int[] table = new int[blocks];
            for (int b = 0; b < blocks; b++) {
                table[b] = b;
            }
            MemorySegment tableSegment = ints(a, table);
            MemorySegment q = floats(a, gaussian(random, layout.heads() * HD, 1));
            MemorySegment kv = floats(a, gaussian(random, layout.kvDim(), 1));
            MemorySegment seq = ints(a, 0);
            MemorySegment out = a.allocate(4L * layout.heads() * HD, 64);
            MemorySegment[] positions = new MemorySegment[n];
            for (int j = 0; j < n; j++) {
                positions[j] = ints(a, j);
                F16KvAttention.run(
                        par,
                        q,
                        kv,
                        kv,
                        cache,
                        tableSegment,
                        seq,
                        positions[j],
                        out,
                        layout,
                        0,
                        1,
                        1,
                        blocks,
                        blocks,
                        true,
                        true);
            }
            com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long fewest = Long.MAX_VALUE;
            for (int window = 0; window < 30; window++) { // many windows: C2 must have compiled ExactFloatExp's vectors
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    F16KvAttention.run(
                            par,
                            q,
                            kv,
                            kv,
                            cache,
                            tableSegment,
                            seq,
                            positions[n - 1],
                            out,
                            layout,
                            0,
                            1,
                            1,
                            blocks,
                            blocks,
                            true,
                            true);
                }
                fewest = Math.min(fewest, mx.getCurrentThreadAllocatedBytes() - before);
            }
            assertEquals(0, fewest, "bytes allocated by 200 decode attention calls (fewest window)");
        }
    }

    private static float[] attend(
            Arena a,
            Parallelism par,
            PagedLayout layout,
            float[] q,
            float[] k,
            float[] v,
            int[] table,
            int numBlocks,
            int n,
            boolean tiles) {
        int[] seqs = new int[n];
        int[] pos = new int[n];
        for (int j = 0; j < n; j++) {
            pos[j] = j;
        }
        MemorySegment cache = a.allocate(numBlocks * layout.blockBytes(), 64);
        MemorySegment out = a.allocate(4L * q.length, 64);
        F16KvAttention.run(
                par,
                floats(a, q),
                floats(a, k),
                floats(a, v),
                cache,
                ints(a, table),
                ints(a, seqs),
                ints(a, pos),
                out,
                layout,
                1,
                n,
                1,
                table.length,
                numBlocks,
                true,
                tiles);
        float[] o = new float[q.length];
        MemorySegment.copy(out, LlmKernels.F32, 0, o, 0, o.length);
        return o;
    }

    private static float[] gaussian(Random random, int n, double scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (random.nextGaussian() * scale);
        }
        return f;
    }

    private static MemorySegment floats(Arena a, float[] v) {
        MemorySegment s = a.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, s, LlmKernels.F32, 0, v.length);
        return s;
    }

    private static MemorySegment ints(Arena a, int... v) {
        MemorySegment s = a.allocate(4L * v.length, 4);
        MemorySegment.copy(v, 0, s, LlmKernels.I32, 0, v.length);
        return s;
    }
}
