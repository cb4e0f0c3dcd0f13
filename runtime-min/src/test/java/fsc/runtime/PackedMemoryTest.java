package fsc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PackedMemory}: zeroed, 64-byte-aligned pieces that never overlap, across chunk boundaries. */
class PackedMemoryTest {
    @Test
    void piecesAreZeroedAlignedDisjointAndWritable() {
        // 590 KB and 2.4 MB: MiniLM's square and FFN weights; 20 MB: larger than half a chunk.
        long[] sizes = {1, 63, 64, 65, 589_824, 2_359_296, 589_824, 20L << 20, 2_359_296, 7, 589_824};
        try (Arena arena = Arena.ofConfined()) {
            PackedMemory memory = new PackedMemory(arena);
            List<MemorySegment> pieces = new ArrayList<>();
            for (int round = 0; round < 4; round++) { // past one chunk
                for (long bytes : sizes) {
                    MemorySegment s = memory.allocate(bytes);
                    assertEquals(bytes, s.byteSize());
                    assertEquals(0, s.address() % 64, "64-byte aligned");
                    for (long i = 0; i < bytes; i += 4093) {
                        assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " of a fresh piece");
                    }
                    assertEquals(0, s.get(ValueLayout.JAVA_BYTE, bytes - 1), "last byte of a fresh piece");
                    s.fill((byte) (pieces.size() + 1));
                    pieces.add(s);
                }
            }
            for (int i = 0; i < pieces.size(); i++) {
                MemorySegment s = pieces.get(i);
                assertEquals((byte) (i + 1), s.get(ValueLayout.JAVA_BYTE, 0), "piece " + i + " overwritten");
                assertEquals((byte) (i + 1), s.get(ValueLayout.JAVA_BYTE, s.byteSize() - 1), "piece " + i);
                for (int j = i + 1; j < pieces.size(); j++) {
                    MemorySegment t = pieces.get(j);
                    assertFalse(
                            s.address() < t.address() + t.byteSize() && t.address() < s.address() + s.byteSize(),
                            "pieces " + i + " and " + j + " overlap");
                }
            }
        }
    }

    @Test
    void piecesDieWithTheirArena() {
        MemorySegment s;
        try (Arena arena = Arena.ofConfined()) {
            s = new PackedMemory(arena).allocate(4096);
            assertTrue(s.scope().isAlive());
        }
        assertFalse(s.scope().isAlive());
    }
}
