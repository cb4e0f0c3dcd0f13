package fsc.ir.ops;

import fsc.ir.Dim;
import fsc.ir.Value;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Compile-time contents of small integer values, keyed by value identity. See {@link ShapeValues}. */
public final class KnownValues {
    private final Map<Value, List<Dim>> contents = new IdentityHashMap<>();

    public Optional<List<Dim>> get(Value v) {
        return Optional.ofNullable(contents.get(v));
    }

    public void put(Value v, List<Dim> values) {
        contents.put(v, List.copyOf(values));
    }
}
