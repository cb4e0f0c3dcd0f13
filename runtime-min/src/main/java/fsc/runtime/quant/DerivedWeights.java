package fsc.runtime.quant;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Copies of weight matrices that a kernel reads instead of the mapped originals (repacked, or on
 * 2 MB pages), made once per matrix on first use and kept for the matrix's lifetime. A matrix is
 * known by its address, size and memory scope: a new mapping at a freed address has another scope,
 * so it is derived anew, and entries whose scope has closed are dropped. Weights are constants: a
 * matrix written after its first use would keep its old copy. Lookups read a copy-on-write array
 * without locking or allocating, so a decode step allocates nothing.
 */
final class DerivedWeights {
    /** Makes the copy of {@code w}, whose rows are {@code rowBytes} apart and {@code blocks} blocks long. */
    interface Maker {
        MemorySegment make(MemorySegment w, long rowBytes, int blocks);
    }

    private record Entry(long address, long size, MemorySegment.Scope scope, MemorySegment derived) {}

    private final Maker maker;
    private volatile Entry[] entries = new Entry[0];

    DerivedWeights(Maker maker) {
        this.maker = maker;
    }

    /** The copy of {@code w}, made now if this is its first use. */
    MemorySegment of(MemorySegment w, long rowBytes, int blocks) {
        MemorySegment found = lookup(w);
        return found != null ? found : make(w, rowBytes, blocks);
    }

    private MemorySegment lookup(MemorySegment w) {
        long address = w.address();
        for (Entry e : entries) {
            if (e.address == address && e.size == w.byteSize() && e.scope == w.scope()) {
                return e.derived;
            }
        }
        return null;
    }

    private synchronized MemorySegment make(MemorySegment w, long rowBytes, int blocks) {
        MemorySegment found = lookup(w);
        if (found != null) {
            return found;
        }
        MemorySegment derived = maker.make(w, rowBytes, blocks);
        Entry[] next = Arrays.stream(entries).filter(e -> e.scope.isAlive()).toArray(n -> new Entry[n + 1]);
        next[next.length - 1] = new Entry(w.address(), w.byteSize(), w.scope(), derived);
        entries = next;
        return derived;
    }
}
