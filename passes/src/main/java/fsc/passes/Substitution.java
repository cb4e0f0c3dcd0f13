package fsc.passes;

import fsc.ir.Node;
import fsc.ir.Value;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Values a pass has replaced by others ({@code y = identity(x)}: uses of y become uses of x), keyed
 * by identity. Replacements chain, so {@link #resolve} follows them to the end. Never iterated, so
 * the identity map cannot make output order depend on hashing.
 */
final class Substitution {
    private final Map<Value, Value> replaced = new IdentityHashMap<>();

    void replace(Value old, Value by) {
        if (!old.type().equals(by.type())) {
            throw new IllegalStateException("cannot replace " + old + " by " + by + ": types differ");
        }
        if (resolve(by) == old) {
            throw new IllegalStateException("replacing " + old + " by " + by + " makes a cycle");
        }
        replaced.put(old, by);
    }

    Value resolve(Value v) {
        Value r = v;
        for (Value next = replaced.get(r); next != null; next = replaced.get(r)) {
            r = next;
        }
        return r;
    }

    List<Value> resolve(List<Value> values) {
        return values.stream().map(this::resolve).toList();
    }

    /** {@code n} reading the replacements; {@code n} itself when none of its inputs was replaced. */
    Node apply(Node n) {
        List<Value> inputs = resolve(n.inputs());
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) != n.inputs().get(i)) {
                return n.withInputs(inputs);
            }
        }
        return n;
    }

    boolean isEmpty() {
        return replaced.isEmpty();
    }

    /** The values of {@code values} as an identity set (values have no value equality). */
    static Set<Value> identitySet(List<Value> values) {
        Set<Value> s = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        s.addAll(values);
        return s;
    }
}
