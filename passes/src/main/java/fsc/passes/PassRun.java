package fsc.passes;

/**
 * What one pass did in a pipeline: its position ({@code 1} for the first pass; {@code 0} is the
 * imported graph in dumps), name, wall time and node counts before and after.
 */
public record PassRun(int index, String pass, long nanos, int nodesBefore, int nodesAfter) {
    public double millis() {
        return nanos / 1e6;
    }
}
