package fsc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * The reserved arena: zero bytes, pages backed only where written (counted by {@code mincore}),
 * unmapped with its owner. The test JVM runs with native access (the build's flags), so on Linux the
 * lazy path is the one tested; elsewhere the fallback is, and the residency assertions say so.
 */
class ActivationMemoryTest {
    private static final long GIB = 1L << 30;
    /** A transparent huge page: the most one touched byte can back where THP is "always". */
    private static final long HUGE = 2L << 20;

    @Test
    void aReservedGigabyteIsBackedOnlyWhereWritten() {
        assertLazyOnLinux();
        Arena arena = Arena.ofShared();
        try {
            MemorySegment s = ActivationMemory.reserve(arena, GIB + 12345);
            assertEquals(GIB + 12345, s.byteSize());
            assertEquals(0, s.address() % 4096, "page-aligned");
            if (!ActivationMemory.lazy()) {
                assertEquals(s.byteSize(), ActivationMemory.residentBytes(s));
                return;
            }
            assertEquals(0, ActivationMemory.residentBytes(s), "nothing touched yet");
            long[] at = {0, 7 * 4096 + 3, GIB / 2 + 100, GIB + 12344};
            for (long off : at) {
                s.set(ValueLayout.JAVA_BYTE, off, (byte) 7);
            }
            long resident = ActivationMemory.residentBytes(s);
            assertTrue(resident >= at.length * 4096L && resident <= at.length * HUGE, "resident " + resident);
            // Only the pages written; their other bytes still read as zero, as Arena.allocate's would.
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, 1));
            assertEquals(7, s.get(ValueLayout.JAVA_BYTE, GIB / 2 + 100));
            ActivationMemory.Usage u = ActivationMemory.usage(s);
            assertEquals(GIB + 12345, u.reservedBytes());
            assertEquals(resident, u.residentBytes());
            // A slice counts the pages under it only.
            assertEquals(4096, ActivationMemory.residentBytes(s.asSlice(7 * 4096, 4096)));
            assertEquals(0, ActivationMemory.residentBytes(s.asSlice(GIB / 4, 1 << 20)));
            arena.close();
            assertFalse(s.scope().isAlive());
            assertEquals(ActivationMemory.Usage.NONE, ActivationMemory.usage(s), "closed: unmapped");
        } finally {
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }

    private static void assertLazyOnLinux() {
        assertTrue(ActivationMemory.lazy() || !System.getProperty("os.name").startsWith("Linux"), "mmap on Linux");
    }

    @Test
    void writesReachEveryByteOfAnOddSize() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = ActivationMemory.reserve(arena, 3 * 4096 + 5);
            for (long i = 0; i < s.byteSize(); i++) {
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i));
                s.set(ValueLayout.JAVA_BYTE, i, (byte) i);
            }
            for (long i = 0; i < s.byteSize(); i++) {
                assertEquals((byte) i, s.get(ValueLayout.JAVA_BYTE, i));
            }
            MemorySegment empty = ActivationMemory.reserve(arena, 0);
            assertEquals(1, empty.byteSize(), "an empty plan still gets a segment");
        }
    }

    @Test
    void heapSegmentsAreCountedWhole() {
        assertEquals(64, ActivationMemory.residentBytes(MemorySegment.ofArray(new byte[64])));
    }

    @Test
    void anImpossibleReservationIsOneLine() {
        assertLazyOnLinux();
        if (!ActivationMemory.lazy()) {
            return; // the fallback's allocate fails with the JDK's own error
        }
        try (Arena arena = Arena.ofConfined()) {
            // 2^62 bytes: beyond any x86-64 or aarch64 address space.
            RuntimeFailure e = org.junit.jupiter.api.Assertions.assertThrows(
                    RuntimeFailure.class, () -> ActivationMemory.reserve(arena, 1L << 62));
            assertTrue(e.getMessage().contains("--bound") && !e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
