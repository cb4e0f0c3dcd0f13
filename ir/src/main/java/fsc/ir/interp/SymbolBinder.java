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
 * directly; a product such as {@code B*S} or a sum such as {@code P+S} binds its last unbound symbol
 * once the others are known (we sweep until nothing changes). Every dimension is then checked against the binding and every
 * symbol against its upper bound.
 */
final class SymbolBinder {
    private SymbolBinder() {}

    static SortedMap<String, Long> bind(
            List<Value> inputs,
            Map<Value, HostTensor> actual,
            SortedMap<String, Long> bounds,
            Map<String, Long> given) {
        TreeMap<String, Long> binding = new TreeMap<>(given);
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Value v : inputs) {
                long[] shape = actual.get(v).shape();
                for (int i = 0; i < shape.length; i++) {
                    Dim d = v.type().dim(i);
                    List<String> unbound = d.symbols().stream()
                            .filter(s -> !binding.containsKey(s))
                            .distinct()
                            .toList();
                    if (unbound.size() == 1 && solve(d, unbound.getFirst(), shape[i], binding)) {
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

    /**
     * Binds {@code symbol}, the one unbound symbol of {@code d}, so that {@code d} evaluates to {@code
     * size}: possible when it occurs once, in one term ({@code B*S}, {@code P+S}); a repeated one
     * ({@code S*S}) is not solved here, and the final check catches misuse.
     */
    private static boolean solve(Dim d, String symbol, long size, Map<String, Long> binding) {
        long rest = size;
        long factor = 0;
        for (Dim.Term t : d.terms()) {
            long count = t.symbols().stream().filter(symbol::equals).count();
            long known = t.coeff();
            for (String s : t.symbols()) {
                known *= s.equals(symbol) ? 1 : binding.get(s);
            }
            if (count == 0) {
                rest -= known;
            } else if (count == 1 && factor == 0) {
                factor = known;
            } else {
                return false;
            }
        }
        if (factor == 0 || rest % factor != 0) {
            return false;
        }
        binding.put(symbol, rest / factor);
        return true;
    }
}
