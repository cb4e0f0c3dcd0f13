package fsc.passes;

import fsc.ir.Graph;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@code --check-passes}: after every pass, runs the new graph in the reference interpreter and
 * compares its outputs with those of the pipeline's input graph on the same inputs. The first pass
 * whose graph computes something else is named in an {@link IllegalStateException}, with the output,
 * the difference and the symbol binding, so a miscompile is caught where it happens rather than as a
 * wrong answer at the end.
 *
 * <p>One instance serves one pipeline run: the reference outputs are computed from the first
 * {@code before} graph it sees and reused for every later pass. The interpreter is naive, so this is
 * for debugging with small symbol values, not for every compile.
 */
public final class InterpreterCheck implements PassListener {
    /** Symbols are run at this value (or their bound, when smaller): big enough to catch broadcasting bugs. */
    private static final long SYMBOL_VALUE = 3;

    private final SortedMap<String, Long> binding;
    private final Map<String, HostTensor> inputs;
    private final double tolerance;
    private Map<String, HostTensor> reference;

    private InterpreterCheck(Map<String, Long> binding, Map<String, HostTensor> inputs, double tolerance) {
        this.binding = new TreeMap<>(binding);
        this.inputs = Map.copyOf(inputs);
        this.tolerance = tolerance;
    }

    /**
     * Random inputs for {@code g}: floats in [-1, 1), integers in [0, 4) (valid indices into any
     * table of at least 4 rows), every symbol at 3 or its bound.
     */
    public static InterpreterCheck randomInputs(Graph g, long seed, double tolerance) {
        TreeMap<String, Long> binding = new TreeMap<>();
        g.symbols().forEach((s, bound) -> binding.put(s, Math.min(bound, SYMBOL_VALUE)));
        Random random = new Random(seed);
        Map<String, HostTensor> inputs = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            inputs.put(v.name(), HostTensor.random(v.dtype(), v.type().evaluate(binding), random));
        }
        return new InterpreterCheck(binding, inputs, tolerance);
    }

    /** Given inputs (token ids within a vocabulary, masks of 0 and 1) whose shapes bind the symbols as {@code binding}. */
    public static InterpreterCheck withInputs(
            Map<String, Long> binding, Map<String, HostTensor> inputs, double tolerance) {
        return new InterpreterCheck(binding, inputs, tolerance);
    }

    @Override
    public void afterPass(PassRun run, Graph before, Graph after) {
        if (reference == null) {
            reference = new Interpreter(before).run(inputs);
        }
        Map<String, HostTensor> actual = new Interpreter(after).run(inputs);
        for (var e : reference.entrySet()) {
            HostTensor got = actual.get(e.getKey());
            double diff = got == null ? Double.POSITIVE_INFINITY : e.getValue().maxAbsDiff(got);
            if (!(diff <= tolerance)) {
                throw new IllegalStateException("pass '" + run.pass() + "' (#" + run.index() + ") changed output '"
                        + e.getKey() + "': max abs difference " + diff + " > " + tolerance + " with " + binding);
            }
        }
    }
}
