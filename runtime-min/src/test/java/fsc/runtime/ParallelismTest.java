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
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> Parallelism.of(0));
        try (Parallelism par = Parallelism.of(1)) {
            assertThrows(IllegalArgumentException.class, () -> par.forRange(0, 4, 0, (f, t) -> {}));
        }
    }

    private static void spin() {
        long end = System.nanoTime() + 200_000;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
