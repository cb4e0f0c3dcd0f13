package fsc.runtime.serve;

import java.util.Locale;

/**
 * How the scheduler forms steps. {@code CONTINUOUS} is the real mode; the other two are the
 * baselines it is measured against (docs/SERVING.md).
 */
public enum Batching {
    /** Sequences join and leave at every step. */
    CONTINUOUS,
    /** Request-level batches: none joins until the whole batch has ended; finished rows leave the steps. */
    STATIC,
    /**
     * Request-level batches of fixed shape, as engines without continuous batching run them (a
     * {@code [batch, ...]} tensor until the longest request ends): finished rows are still
     * computed, as padding, and their results dropped.
     */
    STATIC_PADDED;

    /** {@code continuous}, {@code static} or {@code static-padded}. */
    public static Batching parse(String s) {
        for (Batching b : values()) {
            if (b.label().equals(s)) {
                return b;
            }
        }
        throw new IllegalArgumentException("batching is continuous, static or static-padded, got '" + s + "'");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
