package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import fsc.ir.Graph;
import fsc.passes.PlanMemoryPass;
import fsc.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Activations live in one arena from the memory plan, allocated with the instance: calls of any
 * shape within the bounds reuse it, and a steady stream of calls allocates nothing on the Java heap.
 */
class SteadyStateTest {
    @TempDir
    Path dir;

    @Test
    void oneArenaSizedByThePlanServesEveryShape() throws Exception {
        Graph g = SymbolicDimsTest.attention();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            MemorySegment arena = field(h, ModelContext.ACTIVATIONS);
            assertEquals(PlanMemoryPass.plan(g).arenaBytes(), arena.byteSize());
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("B", 2L, "S", 16L), 1), 1e-5);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("B", 4L, "S", 64L), 2), 1e-5);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("B", 1L, "S", 9L), 3), 1e-5);
            assertSame(arena, field(h, ModelContext.ACTIVATIONS));
        }
    }

    /**
     * 100 calls after warm-up allocate at most a few KB on this thread: no buffers, no boxed vectors
     * (a {@code FloatVector} passed to a method C2 does not inline lives on the heap), no result maps.
     */
    @ParameterizedTest(name = "{0} thread(s)")
    @ValueSource(ints = {1, 2})
    void steadyStateInferenceAllocatesNothing(int threads) throws Exception {
        Graph g = SymbolicDimsTest.attention();
        // With two threads the calling thread also publishes parallel loops (GEMMs, heads, rows).
        try (ModelHarness h = ModelHarness.compile(g, dir, threads)) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            TestGraphs.randomInputs(g, Map.of("B", 2L, "S", 32L), 5)
                    .forEach((k, v) -> in.put(k, offHeap(ModelHarness.toTensor(v))));
            // Generated methods run once per call; C2 needs ~10k iterations of a loop to compile it,
            // and compiles in the background: SteadyAllocation measures windows until one allocates nothing.
            SteadyAllocation.assertSteady(threads + " thread(s)", h, in, threads, dir);
        }
    }

    private static Tensor offHeap(Tensor t) {
        MemorySegment copy = java.lang.foreign.Arena.ofAuto().allocate(t.data().byteSize(), 64);
        copy.copyFrom(t.data());
        return new Tensor(t.type(), t.shape(), copy);
    }

    private static MemorySegment field(ModelHarness h, String name) throws ReflectiveOperationException {
        Field f = h.model.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return (MemorySegment) f.get(h.model);
    }
}
