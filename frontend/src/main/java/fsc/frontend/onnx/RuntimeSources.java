package fsc.frontend.onnx;

import fsc.ir.FscException;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names the graph inputs behind an operand that had to be known at compile time. A converter or a
 * shape rule that needs an operand's value fails with {@code bind it with --bind NAME=FILE}, naming
 * the operand itself, which is often an intermediate (a window length cast to float, pads computed
 * from a {@code shape} input). Only a graph input can be bound, so the hint is rewritten to the first
 * graph input the operand is computed from (through captured values of enclosing scopes), and the
 * message says which inputs made the value run-time-dependent. The CLI's {@code --bind} and the
 * conformance runner then specialise on that input's value.
 */
final class RuntimeSources {
    private static final Pattern BIND = Pattern.compile("--bind (\\S+)=FILE");

    private RuntimeSources() {}

    /** {@code e} with its hint naming a graph input, or {@code e} itself when it names one already or none is found. */
    static FscException explain(ImportScope scope, FscException e) {
        if (e.hint() == null) {
            return e;
        }
        Matcher m = BIND.matcher(e.hint());
        if (!m.find()) {
            return e;
        }
        String named = m.group(1);
        Optional<Value> v = find(scope, named);
        if (v.isEmpty()) {
            return e;
        }
        List<String> inputs = inputsBehind(scope, v.get());
        if (inputs.isEmpty() || (inputs.size() == 1 && inputs.getFirst().equals(named))) {
            return e;
        }
        String which = inputs.size() == 1
                ? "input '" + inputs.getFirst() + "'"
                : "inputs "
                        + String.join(
                                ", ", inputs.stream().map(s -> "'" + s + "'").toList());
        return new FscException(
                e.getMessage() + "; its value depends on graph " + which,
                "bind it with --bind " + inputs.getFirst() + "=FILE",
                e);
    }

    /** The value named {@code name} in {@code scope}: an ONNX name, or an expansion's intermediate. */
    private static Optional<Value> find(ImportScope scope, String name) {
        if (scope.isDefined(name)) {
            return Optional.of(scope.lookup(name, "RuntimeSources"));
        }
        for (Node n : scope.builder.nodes()) {
            for (Value out : n.outputs()) {
                if (out.name().equals(name)) {
                    return Optional.of(out);
                }
            }
        }
        return Optional.empty();
    }

    /** Graph inputs (not constants, not bound) that {@code v} is computed from, in first-found order. */
    static List<String> inputsBehind(ImportScope scope, Value v) {
        Set<String> found = new LinkedHashSet<>();
        collect(scope, v, found);
        return List.copyOf(found);
    }

    private static void collect(ImportScope scope, Value start, Set<String> found) {
        Map<Value, Node> producer = new IdentityHashMap<>();
        for (Node n : scope.builder.nodes()) {
            for (Value out : n.outputs()) {
                producer.put(out, n);
            }
        }
        Map<Value, Value> outerOf = new IdentityHashMap<>();
        scope.captures().forEach((outer, param) -> outerOf.put(param, outer));
        Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> work = new ArrayDeque<>(List.of(start));
        while (!work.isEmpty()) {
            Value v = work.pop();
            if (!seen.add(v) || scope.constantData(v).isPresent()) {
                continue;
            }
            Node n = producer.get(v);
            if (n != null) {
                List<Value> ins = new ArrayList<>(n.inputs());
                Collections.reverse(ins);
                ins.forEach(work::push);
            } else if (outerOf.containsKey(v)) {
                collect(scope.parent(), outerOf.get(v), found);
            } else if (scope.parent() == null) {
                found.add(v.name());
            }
            // Otherwise a subgraph's own parameter (iteration number, loop-carried value): no graph input.
        }
    }
}
