package fsc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * {@link ForeignWarmup} racing the main thread's first use of what it links (as in a fresh jar
 * process, where the constructor's {@link PackedMemory} may meet the warm-up half way): no deadlock,
 * and the memory is usable whichever thread linked it.
 */
class ForeignWarmupTest {
    @Test
    void mainThreadUsesWhatTheWarmupLinksWhileItRuns() throws Exception {
        ForeignWarmup.begin();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = new PackedMemory(arena).allocate(3L << 20);
            s.set(ValueLayout.JAVA_INT, (3L << 20) - 4, 42);
            assertEquals(42, s.get(ValueLayout.JAVA_INT, (3L << 20) - 4));
            assertEquals(0, s.get(ValueLayout.JAVA_INT, 0));
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("fsc-foreign-warmup")) {
                t.join(60_000);
                assertEquals(Thread.State.TERMINATED, t.getState(), "the warm-up ends");
            }
        }
    }
}
