package fsc.ir;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Where every planned activation lives in one arena, as recorded by {@code plan-memory}. Slots are
 * keyed by value identity (the same {@link Value} objects the graph defines; a parsed dump yields
 * new values and its plan is keyed by those). Only top-level values are planned: graph inputs and
 * node outputs, never constants or values inside fused bodies. Symbolic dimensions are sized by
 * their upper bound, so one arena of {@code arenaBytes} serves every call.
 *
 * @param arenaBytes size of the arena the plan needs
 * @param naiveBytes the sum of every planned value's size (what one buffer per value would take)
 * @param peakLiveBytes the largest total size of values live at the same time: a lower bound for
 *     any arena
 * @param alignment byte alignment of every offset
 * @param slots offset and size per value (an unmodifiable identity map)
 */
public record MemoryPlan(long arenaBytes, long naiveBytes, long peakLiveBytes, int alignment, Map<Value, Slot> slots) {

    /** A byte range {@code [offset, offset + bytes)} of the arena. */
    public record Slot(long offset, long bytes) {
        public Slot {
            if (offset < 0 || bytes < 0) {
                throw new IllegalArgumentException("slot at " + offset + " of " + bytes + " bytes");
            }
        }

        public long end() {
            return offset + bytes;
        }
    }

    public MemoryPlan {
        if (alignment < 1 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        }
        slots = Collections.unmodifiableMap(new IdentityHashMap<>(slots));
    }

    /** The slot of {@code v}, or null when {@code v} is not planned. */
    public Slot slotOf(Value v) {
        return slots.get(v);
    }
}
