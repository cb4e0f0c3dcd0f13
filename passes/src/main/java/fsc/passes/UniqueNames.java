package fsc.passes;

import java.util.Set;

/** Names for values and weights a pass adds, kept distinct from every name the graph already has. */
final class UniqueNames {
    private UniqueNames() {}

    /** {@code base}, or {@code base_1}, {@code base_2}, ... : the first not in {@code taken}, which it joins. */
    static String unique(Set<String> taken, String base) {
        String name = base;
        for (int i = 1; !taken.add(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }
}
