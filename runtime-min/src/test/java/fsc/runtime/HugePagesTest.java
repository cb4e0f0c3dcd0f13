package fsc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** {@link HugePages}: zeroed, writable, of the size asked, 2 MB-aligned where Linux maps it. */
class HugePagesTest {
    @Test
    void givesZeroedWritableMemoryAlignedToTwoMegabytesOnLinux() {
        for (long bytes : new long[] {1, 4096, (2L << 20) - 8, (5L << 20) + 12}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = HugePages.allocate(arena, bytes);
                assertEquals(bytes, s.byteSize());
                for (long i = 0; i < bytes; i += 4093) {
                    assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
                    s.set(ValueLayout.JAVA_BYTE, i, (byte) 7);
                    assertEquals(7, s.get(ValueLayout.JAVA_BYTE, i));
                }
                if (bytes >= 2L << 20 && System.getProperty("os.name", "").startsWith("Linux")) {
                    assertEquals(0, s.address() % (2L << 20), "2 MB-aligned on Linux");
                }
                assertEquals(0, s.address() % 64, "at least 64-byte aligned");
            }
        }
    }
}
