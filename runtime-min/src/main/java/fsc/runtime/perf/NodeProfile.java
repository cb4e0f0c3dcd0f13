package fsc.runtime.perf;

import java.util.Arrays;

/**
 * Wall time per profiled slot (one slot per generated node method, see {@code fsc/nodes.json}),
 * accumulated over calls. A compiled model given one through {@link ProfiledModel#profileWith}
 * brackets each node call with {@link #start} and {@link #stop}; with none (the default) each
 * bracket is one null test of a field, so an unprofiled model pays nothing measurable.
 *
 * <p>Not thread-safe: a model runs one call at a time ({@code run} is synchronized), and the
 * profile belongs to that model.
 */
public final class NodeProfile {
    private final long[] nanos;
    private final long[] calls;
    private long started;

    public NodeProfile(int slots) {
        if (slots < 0) {
            throw new IllegalArgumentException("slots must be >= 0, got " + slots);
        }
        this.nanos = new long[slots];
        this.calls = new long[slots];
    }

    /** Marks the start of a node call; does nothing when {@code p} is null (profiling off). */
    public static void start(NodeProfile p) {
        if (p != null) {
            p.started = System.nanoTime();
        }
    }

    /** Adds the time since {@link #start} to {@code slot}; does nothing when {@code p} is null. */
    public static void stop(NodeProfile p, int slot) {
        if (p != null) {
            p.nanos[slot] += System.nanoTime() - p.started;
            p.calls[slot]++;
        }
    }

    public int slots() {
        return nanos.length;
    }

    /** Total nanoseconds spent in {@code slot} since the last {@link #reset}. */
    public long nanos(int slot) {
        return nanos[slot];
    }

    /** Calls of {@code slot} since the last {@link #reset}. */
    public long calls(int slot) {
        return calls[slot];
    }

    /** Sum over all slots, in nanoseconds. */
    public long totalNanos() {
        long s = 0;
        for (long n : nanos) {
            s += n;
        }
        return s;
    }

    /** Forgets what was measured (after warm-up). */
    public void reset() {
        Arrays.fill(nanos, 0L);
        Arrays.fill(calls, 0L);
    }
}
