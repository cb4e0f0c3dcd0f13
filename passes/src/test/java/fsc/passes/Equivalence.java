package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Graph;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The oracle for pass tests: a pass must not change what a graph computes. Both graphs run in the
 * reference interpreter on the same random inputs (symbols bound as given) and every output must
 * agree within {@link #TOLERANCE}.
 */
final class Equivalence {
    private Equivalence() {}

    static final double TOLERANCE = 1e-5;

    static void assertSameOutputs(Graph before, Graph after, Map<String, Long> binding) {
        assertSameOutputs(before, after, binding, Map.of());
    }

    /** {@code fixed} supplies inputs that must not be random (token ids within a vocabulary, 0/1 masks). */
    static void assertSameOutputs(Graph before, Graph after, Map<String, Long> binding, Map<String, HostTensor> fixed) {
        assertEquals(names(before.outputs()), names(after.outputs()), "the pass changed the graph's output names");
        for (long seed = 1; seed <= 3; seed++) {
            Map<String, HostTensor> inputs = randomInputs(before, binding, fixed, seed);
            Map<String, HostTensor> expected = new Interpreter(before).run(inputs);
            Map<String, HostTensor> actual = new Interpreter(after).run(inputs);
            for (var e : expected.entrySet()) {
                HostTensor a = actual.get(e.getKey());
                double diff = e.getValue().maxAbsDiff(a);
                assertTrue(
                        diff <= TOLERANCE,
                        "output " + e.getKey() + " differs by " + diff + " (seed " + seed + "): expected "
                                + e.getValue() + ", got " + a);
            }
        }
    }

    static Map<String, HostTensor> randomInputs(
            Graph g, Map<String, Long> binding, Map<String, HostTensor> fixed, long seed) {
        Random random = new Random(seed);
        Map<String, HostTensor> inputs = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            HostTensor t = fixed.get(v.name());
            inputs.put(
                    v.name(),
                    t != null ? t : HostTensor.random(v.dtype(), v.type().evaluate(binding), random));
        }
        return inputs;
    }

    private static List<String> names(List<Value> values) {
        List<String> out = new ArrayList<>();
        for (Value v : values) {
            out.add(v.name());
        }
        return out;
    }
}
