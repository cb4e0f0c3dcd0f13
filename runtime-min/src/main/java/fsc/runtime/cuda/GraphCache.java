package fsc.runtime.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Captured CUDA graphs of one model's calls, one per launch key. A graph bakes in its kernels'
 * argument values, so the key is everything packed into them that can change between calls: the
 * symbol values (batch size, sequence length, block counts) and the resident state's device
 * pointer. Decode steps repeat a handful of keys, so each is captured once and replayed after; at
 * most {@code capacity} graphs are kept and calls beyond that launch kernel by kernel, so a model fed
 * ever new shapes does not grow without bound. {@code G} is the driver's executable graph handle
 * (a type parameter so the caching is tested without a GPU).
 */
final class GraphCache<G> {
    /** The argument values a captured graph depends on. */
    record Key(long[] symbols, long statePointer) {
        Key {
            symbols = symbols.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && statePointer == k.statePointer && Arrays.equals(symbols, k.symbols);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(symbols) + Long.hashCode(statePointer);
        }

        @Override
        public String toString() {
            return "Key" + Arrays.toString(symbols) + "@0x" + Long.toHexString(statePointer);
        }
    }

    private final int capacity;
    private final Map<Key, G> graphs = new LinkedHashMap<>();

    GraphCache(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("graph cache capacity " + capacity + " is negative");
        }
        this.capacity = capacity;
    }

    /**
     * The graph for {@code key}: the cached one, else one {@code capture} makes (kept), or empty when
     * the cache is full and the caller should launch directly.
     */
    Optional<G> graphFor(Key key, Supplier<G> capture) {
        G g = graphs.get(key);
        if (g == null && graphs.size() < capacity) {
            g = capture.get();
            graphs.put(key, g);
        }
        return Optional.ofNullable(g);
    }

    int size() {
        return graphs.size();
    }

    /** Every kept graph in capture order, and forgets them (for destroying on close). */
    List<G> drain() {
        List<G> all = new ArrayList<>(graphs.values());
        graphs.clear();
        return all;
    }
}
