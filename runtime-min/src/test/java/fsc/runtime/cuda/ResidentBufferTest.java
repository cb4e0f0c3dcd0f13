package fsc.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The KV cache's device buffer: sized by the caller's cache, allocated once, uploaded once per cache. */
class ResidentBufferTest {
    /** Records every driver call as a line; device pointers count up from 0x1000. */
    static final class FakeMemory implements DeviceMemory {
        final List<String> calls = new ArrayList<>();
        long next = 0x1000;

        @Override
        public long malloc(long bytes) {
            calls.add("malloc " + bytes);
            long p = next;
            next += 0x1000;
            return p;
        }

        @Override
        public void free(long ptr) {
            calls.add("free 0x" + Long.toHexString(ptr));
        }

        @Override
        public void copyToDevice(long dst, MemorySegment src, long bytes) {
            calls.add("upload 0x" + Long.toHexString(dst) + " " + bytes);
        }
    }

    @Test
    void sameCacheEveryStepAllocatesAndUploadsOnce() {
        FakeMemory mem = new FakeMemory();
        try (Arena a = Arena.ofConfined();
                ResidentBuffer b = new ResidentBuffer(mem)) {
            assertEquals(0, b.pointer(), "no state before the first call");
            // stories260K: 16-position blocks of 2 layers x (k, v) x 64 floats = 16 KiB per block, 64 blocks.
            MemorySegment cache = a.allocate(64L * 16 * 2 * 2 * 64 * 4);
            for (int step = 0; step < 5; step++) {
                assertEquals(0x1000, b.bind(cache));
            }
            assertEquals(List.of("malloc 1048576", "upload 0x1000 1048576"), mem.calls);
            assertEquals(1048576, b.bytes());
        }
        assertEquals("free 0x1000", mem.calls.getLast());
    }

    @Test
    void anotherCacheOfTheSameSizeIsUploadedIntoTheSameBuffer() {
        FakeMemory mem = new FakeMemory();
        try (Arena a = Arena.ofConfined();
                ResidentBuffer b = new ResidentBuffer(mem)) {
            b.bind(a.allocate(4096));
            b.bind(a.allocate(4096));
            assertEquals(List.of("malloc 4096", "upload 0x1000 4096", "upload 0x1000 4096"), mem.calls);
        }
    }

    @Test
    void aCacheOfAnotherBudgetReallocates() {
        FakeMemory mem = new FakeMemory();
        try (Arena a = Arena.ofConfined();
                ResidentBuffer b = new ResidentBuffer(mem)) {
            MemorySegment small = a.allocate(4096);
            b.bind(small);
            assertEquals(0x2000, b.bind(a.allocate(8192)));
            assertEquals(0x3000, b.bind(small), "back to the first cache: its size again, so uploaded again");
            assertEquals(
                    List.of(
                            "malloc 4096",
                            "upload 0x1000 4096",
                            "free 0x1000",
                            "malloc 8192",
                            "upload 0x2000 8192",
                            "free 0x2000",
                            "malloc 4096",
                            "upload 0x3000 4096"),
                    mem.calls);
        }
    }

    @Test
    void anEmptyCacheIsABrokenInvariant() {
        try (Arena a = Arena.ofConfined();
                ResidentBuffer b = new ResidentBuffer(new FakeMemory())) {
            assertThrows(IllegalStateException.class, () -> b.bind(a.allocate(0)));
        }
    }
}
