package fsc.passes;

import fsc.passes.BufferLiveness.Buffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The planning half of {@code plan-memory}: offsets for live-range-annotated buffers in one arena,
 * by the "greedy by size" strategy of TFLite's arena planner and of Pisarchyk &amp; Lee, "Efficient
 * Memory Management for Deep Neural Net Inference" (2020): buffers are placed largest first; each
 * goes into the smallest gap between already-placed buffers whose live ranges overlap its own that
 * is big enough (best fit), or above all of them when no gap is. Placing big buffers first lets the
 * many small ones fill the holes they leave.
 */
final class ArenaPlanner {
    private ArenaPlanner() {}

    /** Offsets by buffer id, the arena size and the peak-live lower bound. */
    record Placement(long[] offsets, long arenaBytes, long peakLiveBytes) {}

    static Placement place(List<Buffer> buffers, int nodeCount) {
        List<Buffer> order = new ArrayList<>(buffers);
        // Ties by first use then id: deterministic, and earlier buffers take the lower offsets.
        order.sort(Comparator.comparingLong(Buffer::bytes)
                .reversed()
                .thenComparingInt(Buffer::first)
                .thenComparingInt(Buffer::id));
        long[] offsets = new long[buffers.size()];
        List<Buffer> placed = new ArrayList<>();
        long arena = 0;
        for (Buffer b : order) {
            List<Buffer> overlapping = new ArrayList<>();
            for (Buffer p : placed) {
                if (p.first() <= b.last() && b.first() <= p.last()) {
                    overlapping.add(p);
                }
            }
            overlapping.sort(
                    Comparator.comparingLong((Buffer p) -> offsets[p.id()]).thenComparingInt(Buffer::id));
            long best = -1;
            long bestGap = Long.MAX_VALUE;
            long cursor = 0;
            for (Buffer p : overlapping) {
                long gap = offsets[p.id()] - cursor;
                if (gap >= b.bytes() && gap < bestGap) {
                    best = cursor;
                    bestGap = gap;
                }
                cursor = Math.max(cursor, offsets[p.id()] + p.bytes());
            }
            offsets[b.id()] = best >= 0 ? best : cursor;
            arena = Math.max(arena, offsets[b.id()] + b.bytes());
            placed.add(b);
        }
        return new Placement(offsets, arena, peakLive(buffers, nodeCount));
    }

    /** The most bytes live at any one node: no arena can be smaller. */
    static long peakLive(List<Buffer> buffers, int nodeCount) {
        long[] live = new long[nodeCount + 1];
        for (Buffer b : buffers) {
            for (int i = b.first(); i <= b.last(); i++) {
                live[i] += b.bytes();
            }
        }
        long peak = 0;
        for (long l : live) {
            peak = Math.max(peak, l);
        }
        return peak;
    }
}
