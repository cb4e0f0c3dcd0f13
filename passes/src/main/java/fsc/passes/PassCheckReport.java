package fsc.passes;

import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@code fsc compile --check-passes}: after every pass, runs the new graph in the reference
 * interpreter on the same random inputs as the pipeline's input graph and records, per pass, the
 * largest difference of each graph output. When a pass pushes an output beyond the tolerance, the
 * report also names the first node (in the new graph's order) whose value differs from the value
 * of the same name in the input graph: passes keep the names of the values they do not replace, so
 * that is where the divergence starts. Unlike {@link InterpreterCheck} it keeps going, so one run
 * shows every pass's error.
 *
 * <p>Inputs: floats uniform in [-1, 1); integers and bools in {0, 1}, valid token ids, token types
 * and attention masks for any embedding table; every symbol at 3 or its bound.
 */
public final class PassCheckReport implements PassListener {
    private static final long SYMBOL_VALUE = 3;

    private final SortedMap<String, Long> binding;
    private final Map<String, HostTensor> inputs;
    private final double tolerance;
    private final List<String> lines = new ArrayList<>();
    private Map<String, HostTensor> reference;
    private List<String> outputs;
    private boolean ok = true;
    private String failure;

    private PassCheckReport(SortedMap<String, Long> binding, Map<String, HostTensor> inputs, double tolerance) {
        this.binding = binding;
        this.inputs = inputs;
        this.tolerance = tolerance;
    }

    public static PassCheckReport randomInputs(Graph g, long seed, double tolerance) {
        TreeMap<String, Long> binding = new TreeMap<>();
        g.symbols().forEach((s, bound) -> binding.put(s, Math.min(bound, SYMBOL_VALUE)));
        Random random = new Random(seed);
        Map<String, HostTensor> inputs = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            HostTensor t = HostTensor.zeros(v.dtype(), v.type().evaluate(binding));
            for (int i = 0; i < t.size(); i++) {
                if (v.dtype().isFloat()) {
                    t.setDouble(i, random.nextDouble() * 2 - 1);
                } else {
                    t.setLong(i, random.nextInt(2));
                }
            }
            inputs.put(v.name(), t);
        }
        return new PassCheckReport(binding, inputs, tolerance);
    }

    @Override
    public void afterPass(PassRun run, Graph before, Graph after) {
        if (reference == null) {
            reference = byName(new Interpreter(before).runAll(inputs));
            outputs = before.outputs().stream().map(Value::name).toList();
        }
        Map<Value, HostTensor> all = new Interpreter(after).runAll(inputs);
        Map<String, HostTensor> actual = byName(all);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%02d %-12s", run.index(), run.pass()));
        boolean passOk = true;
        for (String out : outputs) {
            double diff = diff(reference.get(out), actual.get(out));
            passOk &= diff <= tolerance;
            line.append(String.format(Locale.ROOT, "  %s max err %.3g", out, diff));
        }
        line.append(passOk ? "  ok" : "  BEYOND " + tolerance);
        lines.add(line.toString());
        if (!passOk) {
            String first = "first diverging node: " + firstDivergence(after, all);
            lines.add("   " + first);
            if (ok) {
                failure = "pass '" + run.pass() + "' (#" + run.index() + ") changed the outputs beyond " + tolerance
                        + "; " + first;
            }
            ok = false;
        }
    }

    private String firstDivergence(Graph after, Map<Value, HostTensor> all) {
        for (Node n : after.nodes()) {
            for (Value v : n.outputs()) {
                HostTensor ref = reference.get(v.name());
                HostTensor got = all.get(v);
                if (ref != null && Arrays.equals(ref.shape(), got.shape()) && !(diff(ref, got) <= tolerance)) {
                    return "%" + v.name() + " = " + n.op() + (n.name().isEmpty() ? "" : " '" + n.name() + "'")
                            + String.format(Locale.ROOT, ", max err %.3g", diff(ref, got));
                }
            }
        }
        return "none of the values the pass kept differs; the change is in a value it created";
    }

    private static double diff(HostTensor expected, HostTensor actual) {
        return actual == null ? Double.POSITIVE_INFINITY : expected.maxAbsDiff(actual);
    }

    /** Tensors by value name, the first value of each name (names are hints, not always unique). */
    private static Map<String, HostTensor> byName(Map<Value, HostTensor> all) {
        Map<String, HostTensor> out = new HashMap<>();
        all.forEach((v, t) -> out.putIfAbsent(v.name(), t));
        return out;
    }

    /** Whether every pass kept every output within the tolerance. */
    public boolean ok() {
        return ok;
    }

    /** One line naming the first pass that went beyond the tolerance, or null when none did. */
    public String failure() {
        return failure;
    }

    /** One line per pass (and the diverging node after a failing one), with the symbol binding first. */
    public String report() {
        return "check-passes: reference interpreter, symbols " + binding + ", tolerance " + tolerance + "\n"
                + String.join("\n", lines) + "\n";
    }
}
