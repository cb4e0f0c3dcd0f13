package fsc.runtime.serve;

import fsc.runtime.RuntimeFailure;

/**
 * Request classes, most urgent first: the declaration order is the scheduling order, and a
 * sequence may only be preempted for one of the same or a more urgent class.
 */
public enum Priority {
    /** A person is waiting on every token: TTFT and time-between-tokens budgets are kept. */
    INTERACTIVE,
    /** Throughput work: its prefill is deferred or chunked smaller when interactive budgets are tight. */
    BATCH;

    /** The lower-case name used in JSON and metric labels. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Priority parse(String s) {
        for (Priority p : values()) {
            if (p.label().equals(s)) {
                return p;
            }
        }
        throw new RuntimeFailure("priority must be 'interactive' or 'batch', got '" + s + "'");
    }
}
