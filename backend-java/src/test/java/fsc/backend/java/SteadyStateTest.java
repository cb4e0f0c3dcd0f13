package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import fsc.ir.Graph;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Activation slots are allocated once and reused: same or smaller shapes never reallocate them. */
class SteadyStateTest {
    @TempDir
    Path dir;

    @Test
    void slotsGrowOnlyWhenACallNeedsMore() throws Exception {
        Graph g = SymbolicDimsTest.attention();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.run(TestGraphs.randomInputs(g, Map.of("B", 2L, "S", 16L), 1));
            MemorySegment[] first = slots(h).clone();
            h.run(TestGraphs.randomInputs(g, Map.of("B", 2L, "S", 16L), 2));
            h.run(TestGraphs.randomInputs(g, Map.of("B", 1L, "S", 9L), 3));
            MemorySegment[] again = slots(h);
            for (int k = 0; k < first.length; k++) {
                assertSame(first[k], again[k], "slot " + k);
            }
            h.run(TestGraphs.randomInputs(g, Map.of("B", 4L, "S", 64L), 4));
            assertNotSame(first[0], slots(h)[0], "a larger call grows the slots");
        }
    }

    private static MemorySegment[] slots(ModelHarness h) throws ReflectiveOperationException {
        Field f = h.model.getClass().getDeclaredField(ModelContext.SLOT_BUF);
        f.setAccessible(true);
        return (MemorySegment[]) f.get(h.model);
    }
}
