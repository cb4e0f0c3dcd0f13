package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.RuntimeFailure;
import org.junit.jupiter.api.Test;

class KvCacheTest {
    private static final PagedLayout LAYOUT = new PagedLayout(2, 4, 4, 2, 8, 0.25f);

    @Test
    void blocksAreTakenPerBlockOfPositionsAndReturnedOnRelease() {
        try (KvCache c = new KvCache(LAYOUT, 5, 2, 16)) {
            assertEquals(0, c.append(0, 3)); // positions 0..2: one block
            assertEquals(1, c.usedBlocks());
            assertEquals(3, c.append(0, 2)); // 3..4: crosses into a second block
            assertEquals(2, c.usedBlocks());
            assertEquals(0, c.append(1, 4)); // the other sequence: one block
            assertEquals(3, c.usedBlocks());
            assertArrayEquals(new int[] {0, 1}, c.blocksOf(0));
            assertArrayEquals(new int[] {2}, c.blocksOf(1));
            c.release(0);
            assertEquals(1, c.usedBlocks());
            assertEquals(0, c.length(0));
            assertEquals(-1, c.blockTable().data().get(LlmKernels.I32, 0L));
            // Freed blocks are reused (most recently freed first).
            c.append(1, 1);
            assertEquals(2, c.blocksOf(1).length);
            assertEquals(3, c.peakUsedBlocks());
        }
    }

    @Test
    void truncateKeepsAPrefixAndReturnsTheBlocksPastIt() {
        try (KvCache c = new KvCache(LAYOUT, 4, 1, 16)) {
            c.append(0, 10); // three blocks of 4
            assertEquals(3, c.usedBlocks());
            c.truncate(0, 5); // positions 0..4 need two blocks
            assertEquals(5, c.length(0));
            assertEquals(2, c.usedBlocks());
            assertEquals(-1, c.blockTable().data().get(LlmKernels.I32, 8L), "the dropped block's table entry");
            c.truncate(0, 4); // exactly one block
            assertEquals(1, c.usedBlocks());
            assertEquals(4, c.append(0, 3), "appending continues after the kept prefix");
            assertEquals(2, c.usedBlocks());
            c.truncate(0, 7); // keeping everything changes nothing
            assertEquals(7, c.length(0));
            assertThrows(IllegalArgumentException.class, () -> c.truncate(0, 8));
            assertThrows(IllegalArgumentException.class, () -> c.truncate(0, -1));
            c.truncate(0, 0);
            assertEquals(0, c.usedBlocks());
        }
    }

    @Test
    void exhaustingThePoolOrTheContextFailsWithoutChangingTheSequence() {
        try (KvCache c = new KvCache(LAYOUT, 2, 2, 16)) {
            c.append(0, 8);
            RuntimeFailure full = assertThrows(RuntimeFailure.class, () -> c.append(1, 1));
            assertTrue(full.getMessage().contains("--kv-memory"), full.getMessage());
            assertEquals(0, c.length(1));
            c.release(0);
            RuntimeFailure context = assertThrows(RuntimeFailure.class, () -> c.append(0, 17));
            assertTrue(context.getMessage().contains("--max-context"), context.getMessage());
            assertEquals(0, c.usedBlocks());
        }
    }

    @Test
    void memoryIsBoundedByTheBudget() {
        long perBlock = LAYOUT.blockFloats() * 4;
        assertEquals(3, KvCache.blocksFor(3 * perBlock + perBlock / 2, LAYOUT));
        assertEquals(1, KvCache.blocksFor(1, LAYOUT));
        try (KvCache c = new KvCache(LAYOUT, 3, 1, 64)) {
            assertEquals(3 * perBlock, c.bytes());
        }
    }

    /** The context is what was asked for, not rounded up to whole blocks: position tables end there. */
    @Test
    void contextIsNotRoundedUpToBlocks() {
        try (KvCache c = new KvCache(LAYOUT, 4, 1, 6)) {
            assertEquals(6, c.maxContext());
            assertEquals(0, c.append(0, 6));
            RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> c.append(0, 1));
            assertTrue(e.getMessage().contains("context holds 6"), e.getMessage());
        }
    }
}
