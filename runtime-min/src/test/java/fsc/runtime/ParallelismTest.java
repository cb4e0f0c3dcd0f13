package fsc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ParallelismTest {
    @Test
    void coversEveryIndexOnceOnGrainBoundaries() {
        for (int threads : new int[] {1, 2, 3, 4}) {
            try (Parallelism par = Parallelism.of(threads)) {
                for (int[] c : new int[][] {{0, 1, 1}, {0, 100, 1}, {5, 1000, 6}, {3, 4, 10}, {0, 17, 4}, {7, 7, 1}}) {
                    int start = c[0], end = c[1], grain = c[2];
                    AtomicIntegerArray hits = new AtomicIntegerArray(end + 1);
                    ConcurrentLinkedQueue<int[]> chunks = new ConcurrentLinkedQueue<>();
                    par.forRange(start, end, grain, (from, to) -> {
                        chunks.add(new int[] {from, to});
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i <= end; i++) {
                        assertEquals(i >= start && i < end ? 1 : 0, hits.get(i), "index " + i + " threads " + threads);
                    }
                    assertTrue(chunks.size() <= threads);
                    for (int[] ch : chunks) {
                        assertEquals(0, (ch[0] - start) % grain, "chunk must start on a grain boundary");
                    }
                }
            }
        }
    }

    @Test
    void forChunksCoversEveryIndexOnceInChunksOfTheGivenSize() {
        for (int threads = 1; threads <= 4; threads++) {
            try (Parallelism par = Parallelism.of(threads)) {
                for (int[] c : new int[][] {
                    {0, 1, 1}, {0, 100, 1}, {5, 1000, 6}, {3, 4, 10}, {0, 17, 4}, {7, 7, 1}, {0, 4099, 16}, {1, 333, 7}
                }) {
                    int start = c[0], end = c[1], chunk = c[2];
                    AtomicIntegerArray hits = new AtomicIntegerArray(end + 1);
                    ConcurrentLinkedQueue<int[]> chunks = new ConcurrentLinkedQueue<>();
                    for (int r = 0; r < 20; r++) {
                        chunks.clear();
                        par.forChunks(start, end, chunk, (from, to) -> {
                            chunks.add(new int[] {from, to});
                            for (int i = from; i < to; i++) {
                                hits.incrementAndGet(i);
                            }
                        });
                        if (threads > 1 && end - start > chunk) {
                            assertEquals((end - start + chunk - 1) / chunk, chunks.size(), "chunk count");
                        }
                        for (int[] ch : chunks) {
                            assertEquals(0, (ch[0] - start) % chunk, "chunk must start on a chunk boundary");
                            assertTrue(ch[1] - ch[0] <= chunk || chunks.size() == 1, "chunk too long");
                        }
                    }
                    for (int i = 0; i <= end; i++) {
                        assertEquals(i >= start && i < end ? 20 : 0, hits.get(i), "index " + i + " threads " + threads);
                    }
                }
            }
        }
    }

    @Test
    void forChunksLetsTheOtherThreadTakeOverWhileOneIsHeld() throws InterruptedException {
        // The first chunk claimed waits until every other chunk is done: only possible if the other
        // thread claims the remaining 15 chunks meanwhile (with one chunk per thread, as forRange
        // splits, it would hold half the range and wait forever). No timing is asserted; the wait is
        // bounded so a regression fails instead of hanging.
        try (Parallelism par = Parallelism.of(2)) {
            for (int r = 0; r < 20; r++) {
                java.util.concurrent.CountDownLatch others = new java.util.concurrent.CountDownLatch(15);
                java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.atomic.AtomicBoolean released =
                        new java.util.concurrent.atomic.AtomicBoolean(true);
                AtomicIntegerArray hits = new AtomicIntegerArray(160);
                par.forChunks(0, 160, 10, (from, to) -> {
                    if (first.compareAndSet(false, true)) {
                        try {
                            released.set(others.await(30, java.util.concurrent.TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    } else {
                        others.countDown();
                    }
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                assertTrue(released.get(), "the other thread did not take over the remaining chunks");
                for (int i = 0; i < 160; i++) {
                    assertEquals(1, hits.get(i), "index " + i);
                }
            }
        }
    }

    @Test
    void chunkForGivesAboutPerThreadChunksOfWholeGrains() {
        try (Parallelism par = Parallelism.of(2)) {
            assertEquals(256, par.chunkFor(2048, 16, 4)); // 8 chunks
            assertEquals(32, par.chunkFor(256, 16, 4)); // 8 chunks of two grains
            assertEquals(16, par.chunkFor(17, 16, 4)); // never below a grain
            assertEquals(2, par.chunkFor(4, 1, 1)); // one chunk per thread
            assertEquals(1, par.chunkFor(1, 1, 8));
        }
        try (Parallelism one = Parallelism.of(1)) {
            assertEquals(1024, one.chunkFor(1000, 256, 1));
        }
    }

    @Test
    void usesTheWorkersAndRethrowsABodyFailure() {
        try (Parallelism par = Parallelism.of(2)) {
            ConcurrentLinkedQueue<Thread> seen = new ConcurrentLinkedQueue<>();
            // Repeat: the caller may occasionally claim both chunks before the worker wakes.
            for (int r = 0; r < 200 && seen.stream().distinct().count() < 2; r++) {
                par.forRange(0, 2, 1, (from, to) -> {
                    seen.add(Thread.currentThread());
                    spin();
                });
            }
            assertEquals(2, seen.stream().distinct().count(), "both threads should run chunks");
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(
                    IllegalStateException.class,
                    () -> par.forRange(0, 8, 1, (f, t) -> {
                        if (f >= 4) {
                            throw boom;
                        }
                    }));
            assertSame(boom, thrown);
            AtomicLong sum = new AtomicLong();
            par.forRange(0, 10, 1, (f, t) -> sum.addAndGet(t - f));
            assertEquals(10, sum.get(), "the team still works after a failure");
        }
    }

    @Test
    void nestedAndConcurrentCallsRunInlineWithoutDeadlock() throws InterruptedException {
        try (Parallelism par = Parallelism.of(2)) {
            AtomicLong count = new AtomicLong();
            Runnable job = () -> {
                for (int r = 0; r < 200; r++) {
                    par.forRange(0, 4, 1, (f, t) -> {
                        for (int i = f; i < t; i++) {
                            par.forRange(0, 10, 1, (g, u) -> count.addAndGet(u - g));
                        }
                    });
                }
            };
            Thread other = new Thread(job);
            other.start();
            job.run();
            other.join();
            assertEquals(2 * 200 * 4 * 10, count.get());
        }
    }

    @Test
    void steadyStateCallsAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Parallelism par = Parallelism.of(2)) {
            long[] sink = new long[64];
            Parallelism.IntRangeBody body = (from, to) -> {
                for (int i = from; i < to; i++) {
                    sink[i] += i;
                }
            };
            for (int r = 0; r < 20_000; r++) {
                par.forRange(0, 64, 8, body);
            }
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int r = 0; r < 10_000; r++) {
                par.forRange(0, 64, 8, body);
            }
            long perCall = (mx.getCurrentThreadAllocatedBytes() - before) / 10_000;
            assertEquals(0, perCall, "bytes allocated per forRange call");
            for (int r = 0; r < 20_000; r++) {
                par.forChunks(0, 64, 8, body);
            }
            before = mx.getCurrentThreadAllocatedBytes();
            for (int r = 0; r < 10_000; r++) {
                par.forChunks(0, 64, 8, body);
            }
            assertEquals(0, (mx.getCurrentThreadAllocatedBytes() - before) / 10_000, "bytes per forChunks call");
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> Parallelism.of(0));
        try (Parallelism par = Parallelism.of(1)) {
            assertThrows(IllegalArgumentException.class, () -> par.forRange(0, 4, 0, (f, t) -> {}));
            assertThrows(IllegalArgumentException.class, () -> par.forChunks(0, 4, 0, (f, t) -> {}));
        }
    }

    private static void spin() {
        long end = System.nanoTime() + 200_000;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
