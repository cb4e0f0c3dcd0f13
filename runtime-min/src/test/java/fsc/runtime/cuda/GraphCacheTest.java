package fsc.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.ElemType;
import fsc.runtime.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Capture once per launch key, replay afterwards, bounded; the graph handle is a string here. */
class GraphCacheTest {
    private final List<String> captured = new ArrayList<>();

    private Optional<String> call(GraphCache<String> c, long statePointer, long... symbols) {
        GraphCache.Key key = new GraphCache.Key(symbols, statePointer);
        return c.graphFor(key, () -> {
            captured.add(key.toString());
            return "graph" + captured.size();
        });
    }

    @Test
    void decodeStepsOfOneBatchSizeCaptureOnceAndReplay() {
        GraphCache<String> c = new GraphCache<>(8);
        for (int step = 0; step < 10; step++) {
            assertEquals(Optional.of("graph1"), call(c, 0x1000, 1, 64));
        }
        assertEquals(List.of("Key[1, 64]@0x1000"), captured);
    }

    @Test
    void eachBatchSizeShapeAndStateBufferIsItsOwnGraph() {
        GraphCache<String> c = new GraphCache<>(8);
        call(c, 0x1000, 1, 64);
        call(c, 0x1000, 4, 64);
        call(c, 0x1000, 1, 128);
        call(c, 0x2000, 1, 64); // the KV buffer was reallocated: the old graph's pointer is stale
        call(c, 0x1000, 4, 64);
        assertEquals(4, c.size());
        assertEquals(
                List.of("Key[1, 64]@0x1000", "Key[4, 64]@0x1000", "Key[1, 128]@0x1000", "Key[1, 64]@0x2000"), captured);
    }

    @Test
    void theKeyCopiesTheSymbolArray() {
        GraphCache<String> c = new GraphCache<>(8);
        long[] symbols = {1, 64};
        c.graphFor(new GraphCache.Key(symbols, 0), () -> "g");
        symbols[0] = 2;
        assertEquals(Optional.of("g"), c.graphFor(new GraphCache.Key(new long[] {1, 64}, 0), () -> "other"));
    }

    @Test
    void beyondCapacityCallsLaunchDirectlyAndKeptGraphsStay() {
        GraphCache<String> c = new GraphCache<>(2);
        call(c, 0, 1);
        call(c, 0, 2);
        assertEquals(Optional.empty(), call(c, 0, 3));
        assertEquals(Optional.of("graph1"), call(c, 0, 1));
        assertEquals(List.of("graph1", "graph2"), c.drain());
        assertEquals(0, c.size());
    }

    @Test
    void graphsAreOnForProgramsWithResidentStateUnlessThePropertySaysOtherwise() {
        CudaProgram llm = program(true);
        CudaProgram encoder = program(false);
        assertTrue(CudaModel.usesGraphs(llm, null));
        assertFalse(CudaModel.usesGraphs(encoder, null));
        assertFalse(CudaModel.usesGraphs(llm, "false"));
        assertTrue(CudaModel.usesGraphs(encoder, "true"));
    }

    private static CudaProgram program(boolean resident) {
        return new CudaProgram() {
            @Override
            public List<String> symbols() {
                return List.of();
            }

            @Override
            public long arenaBytes() {
                return 0;
            }

            @Override
            public List<Slot> inputs() {
                return List.of(
                        new Slot("x", ElemType.F32, CudaProgram.Buffer.ARENA, 0),
                        new Slot(
                                "kv_cache",
                                ElemType.F32,
                                resident ? CudaProgram.Buffer.STATE : CudaProgram.Buffer.ARENA,
                                0));
            }

            @Override
            public List<Slot> outputs() {
                return List.of();
            }

            @Override
            public List<TensorSpec> inputSpecs() {
                return List.of();
            }

            @Override
            public long[] outputShape(int output, long[] symbols) {
                return new long[0];
            }

            @Override
            public List<KernelLaunch> launches(long[] symbols) {
                return List.of();
            }
        };
    }
}
