package fsc.runtime.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The peak microkernels compute what their scalar references do, and the profile counts what it is told. */
class PeakKernelsTest {
    private static final int LANES = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void fmaKernelMatchesTheScalarRecurrence() {
        int iterations = 37;
        float seed = 1.5f;
        float y = 1e-7f * seed;
        double expected = 0;
        for (int c = 0; c < FmaPeak.CHAINS; c++) {
            float a = seed + c;
            for (int i = 0; i < iterations; i++) {
                a = Math.fma(a, 0.999999f, y);
            }
            expected += (double) a * LANES;
        }
        assertEquals(expected, FmaPeak.kernel(iterations, seed), Math.abs(expected) * 1e-5);
        assertEquals(2.0 * LANES * FmaPeak.CHAINS * iterations, FmaPeak.flops(iterations));
    }

    @Test
    void streamKernelsMatchScalarLoopsOnAnOffsetPart() {
        long floats = 4L * LANES * 5; // five 4-vector blocks
        long bytes = floats * 4;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(2 * bytes, 64);
            MemorySegment b = arena.allocate(2 * bytes, 64);
            MemorySegment c = arena.allocate(2 * bytes, 64);
            for (long i = 0; i < 2 * floats; i++) {
                b.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 7) - 3);
                c.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 5) * 0.5f);
            }
            double ref = 0;
            for (long i = floats; i < 2 * floats; i++) {
                ref += b.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            }
            assertEquals(ref, StreamBandwidth.sum(b, bytes, bytes), 1e-3);
            StreamBandwidth.triad(a, b, c, bytes, bytes, 3f);
            for (long i = 0; i < 2 * floats; i++) {
                float want = i < floats
                        ? 0f
                        : b.getAtIndex(ValueLayout.JAVA_FLOAT, i) + 3f * c.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                assertEquals(want, a.getAtIndex(ValueLayout.JAVA_FLOAT, i), 1e-6, "element " + i);
            }
        }
    }

    @Test
    void smallMeasurementsReturnPositiveRates() {
        assertTrue(FmaPeak.gflops(1, 1000, 1) > 0);
        StreamBandwidth.Result r = StreamBandwidth.measure(2, 3L << 20, 1);
        assertTrue(r.readGBs() > 0 && r.triadGBs() > 0);
        assertTrue(r.arrayBytes() <= 3L << 20 && r.arrayBytes() > 2L << 20, "bytes " + r.arrayBytes());
    }

    @Test
    void nodeProfileAccumulatesPerSlotAndIgnoresNull() {
        NodeProfile.start(null);
        NodeProfile.stop(null, 5); // profiling off: nothing happens, nothing throws
        NodeProfile p = new NodeProfile(2);
        NodeProfile.start(p);
        NodeProfile.stop(p, 1);
        NodeProfile.start(p);
        NodeProfile.stop(p, 1);
        assertEquals(0, p.calls(0));
        assertEquals(2, p.calls(1));
        assertTrue(p.nanos(1) >= 0);
        p.reset();
        assertEquals(0, p.calls(1));
        assertThrows(IllegalArgumentException.class, () -> new NodeProfile(-1));
    }

    @Test
    void nodeTableParsesTermsAndRanges() {
        NodeTable t = NodeTable.parse(
                """
                {"slots": [{"slot": 0, "node": 4, "op": "matmul", "name": "mm", "output": "%y", \
                "flops": [[2, "B", "S"], [6]], "bytes": [[1.5, "S"]]},
                {"slot": 1, "node": 5, "op": "mystery", "name": "", "output": "%z", "flops": null, "bytes": []}],
                 "inputRanges": {"ids": [0, 30522]}}""");
        var bind = java.util.Map.of("B", 2L, "S", 10L);
        assertEquals(46.0, t.slots().get(0).flops(bind));
        assertEquals(15.0, t.slots().get(0).bytes(bind));
        assertTrue(Double.isNaN(t.slots().get(1).flops(bind)));
        assertEquals(30522L, t.inputRanges().get("ids")[1]);
    }
}
