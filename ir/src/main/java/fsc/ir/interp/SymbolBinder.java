package fsc.ir.interp;

import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Value;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Binds the graph's symbols from the shapes of the actual inputs. A dimension {@code S} binds S
 * directly; a product such as {@code B*S} binds its last unbound symbol once the others are known
 * (we sweep until nothing changes). Every dimension is then checked against the binding and every
 * symbol against its upper bound.
 */
final class SymbolBinder {
    private SymbolBinder() {}

    static SortedMap<String, Long> bind(
            List<Value> inputs, Map<Value, HostTensor> actual, SortedMap<String, Long> bounds) {
        TreeMap<String, Long> binding = new TreeMap<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Value v : inputs) {
                long[] shape = actual.get(v).shape();
                for (int i = 0; i < shape.length; i++) {
                    Dim d = v.type().dim(i);
                    List<String> unbound = d.symbols().stream()
                            .filter(s -> !binding.containsKey(s))
                            .toList();
                    if (unbound.size() != 1) {
                        continue;
                    }
                    long known = d.coeff();
                    for (String s : d.symbols()) {
                        known *= binding.getOrDefault(s, 1L);
                    }
                    // A repeated unbound symbol (S*S) is not solved here; the final check catches misuse.
                    if (known != 0
                            && shape[i] % known == 0
                            && d.symbols().stream()
                                            .filter(unbound.getFirst()::equals)
                                            .count()
                                    == 1) {
                        binding.put(unbound.getFirst(), shape[i] / known);
                        changed = true;
                    }
                }
            }
        }
        for (Value v : inputs) {
            long[] shape = actual.get(v).shape();
            for (int i = 0; i < shape.length; i++) {
                Dim d = v.type().dim(i);
                for (String s : d.symbols()) {
                    if (!binding.containsKey(s)) {
                        throw new FscException("input '" + v.name() + "' " + Arrays.toString(shape)
                                + ": cannot determine symbol " + s + " from dimension " + i + " (" + d + ")");
                    }
                }
                long expected = d.evaluate(binding);
                if (expected != shape[i]) {
                    throw new FscException("input '" + v.name() + "' has shape " + Arrays.toString(shape)
                            + ", expected " + v.type() + " with " + binding);
                }
            }
        }
        for (var e : binding.entrySet()) {
            Long bound = bounds.get(e.getKey());
            if (bound != null && (e.getValue() < 1 || e.getValue() > bound)) {
                throw new FscException("symbol " + e.getKey() + " = " + e.getValue() + " is outside 1.." + bound
                        + " (given by the input shapes)");
            }
        }
        return binding;
    }
}
