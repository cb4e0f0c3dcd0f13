package fsc.ir;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Named weight data shared by a graph and the graphs passes derive from it. Sorted for deterministic output. */
public record Weights(SortedMap<String, WeightData> byName) {

    public Weights {
        byName = Collections.unmodifiableSortedMap(new TreeMap<>(byName));
    }

    public static Weights empty() {
        return new Weights(new TreeMap<>());
    }

    public WeightData get(String name) {
        WeightData w = byName.get(name);
        if (w == null) {
            throw new IllegalStateException("no weight named '" + name + "'");
        }
        return w;
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** A new set with {@code extra} added (replacing same-named entries). */
    public Weights with(Map<String, WeightData> extra) {
        TreeMap<String, WeightData> m = new TreeMap<>(byName);
        m.putAll(extra);
        return new Weights(m);
    }
}
