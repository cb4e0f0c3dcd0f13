package fsc.ir.ops;

import fsc.ir.Attr;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The attributes an op takes, each with its kind and default: the one place a default is written.
 * Readers ask {@link fsc.ir.Node#intAttr(String)} and its siblings, which apply the default from here;
 * {@link Ops#infer} (so the verifier and every graph builder) rejects an undeclared attribute or one of
 * the wrong kind. Every op has one; an op without attributes has the empty schema, so it rejects any.
 */
public final class AttrSchema {
    private final SortedMap<String, AttrSpec> specs;

    private AttrSchema(SortedMap<String, AttrSpec> specs) {
        this.specs = Collections.unmodifiableSortedMap(specs);
    }

    /** The empty schema: an op that takes no attributes. */
    static final AttrSchema NONE = of();

    static AttrSchema of(AttrSpec... specs) {
        TreeMap<String, AttrSpec> m = new TreeMap<>();
        for (AttrSpec s : specs) {
            if (m.put(s.name(), s) != null) {
                throw new IllegalStateException("attribute '" + s.name() + "' declared twice");
            }
        }
        return new AttrSchema(m);
    }

    /** The declared attributes, by name. */
    public SortedMap<String, AttrSpec> specs() {
        return specs;
    }

    public Optional<AttrSpec> spec(String name) {
        return Optional.ofNullable(specs.get(name));
    }

    /** The declared attributes in name order, {@code name: kind = default}, comma-separated. */
    @Override
    public String toString() {
        return String.join(", ", specs.values().stream().map(AttrSpec::toString).toList());
    }

    /** The first problem with {@code attrs} (an undeclared name, a value of the wrong kind), if any. */
    public Optional<String> problem(Map<String, Attr> attrs) {
        for (var e : attrs.entrySet()) {
            AttrSpec s = specs.get(e.getKey());
            if (s == null) {
                return Optional.of("unknown attribute '" + e.getKey() + "' ("
                        + (specs.isEmpty() ? "takes none" : "takes " + String.join(", ", specs.keySet()))
                        + ")");
            }
            if (!s.kind().accepts(e.getValue())) {
                return Optional.of(
                        "attribute '" + e.getKey() + "' must be " + s.kind().noun() + ", got " + e.getValue());
            }
        }
        return Optional.empty();
    }
}
