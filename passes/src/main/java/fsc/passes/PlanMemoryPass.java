package fsc.passes;

import fsc.ir.Graph;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Static memory planning: every activation gets a fixed byte range of one arena, allocated once per
 * compiled model instance and reused by every call, so steady-state inference allocates nothing.
 *
 * <p><b>Stages.</b> (1) {@link BufferLiveness} groups values that share bytes (views with their
 * operand, element-wise results with an operand that dies there) into buffers and gives each a live
 * range over the node order. (2) {@link ArenaPlanner} assigns offsets, greedy by size with best fit.
 * (3) This driver records the result as the graph's {@link MemoryPlan}: one slot per value (views and
 * in-place results share their buffer's offset), with the arena size, the naive sum and the lower
 * bound, which it also reports.
 *
 * <pre>
 * %a: f32[B,384] = matmul(%x, %w)       // live 0..1
 * %b: f32[B,384] = gelu(%a)             // in place: %a dies here
 * %c: f32[B,4,96] = reshape(%b)         // view of %b
 * %d: f32[B,384] = matmul(%b, %w2)      // live 3..
 *   ⇒  plan: arena 2 × 384·4·B bytes;  %a, %b, %c at 0;  %d at 384·4·B
 * </pre>
 *
 * <p><b>What it does not do.</b> It does not reorder nodes to shorten live ranges, does not split a
 * buffer, and does not plan inside fused bodies (a fused kernel keeps its intermediates in
 * registers). Graph inputs and constants are not in the arena.
 *
 * <p><b>Symbolic shapes.</b> Each symbol is taken at its upper bound ({@code symbols {S <= 512}}),
 * so the plan is valid for every call; a call with smaller dimensions uses a prefix of each range.
 * The Java backend reserves such an arena without touching it ({@code ActivationMemory}), so RAM
 * follows the prefixes a call writes, not the bounds (docs/DECISIONS.md).
 * Offsets are aligned to {@value #ALIGNMENT} bytes (a cache line, and the widest vector load).
 *
 * <p>The plan is the last word on memory: any later pass that rebuilds the node list drops it, so
 * {@code plan-memory} belongs at the end of a pipeline.
 */
@PassInfo(
        name = "plan-memory",
        summary = "place every activation at a fixed offset of one arena (greedy by size, best fit)")
public final class PlanMemoryPass implements Pass {
    /** Whole-graph work: a region's values are planned and its weights read by the backend's region class. */
    @Override
    public boolean recursesIntoRegions() {
        return false;
    }

    static final int ALIGNMENT = 64;

    @Override
    public Graph run(Graph g, PassContext ctx) {
        MemoryPlan plan = plan(g);
        ctx.note(String.format(
                java.util.Locale.ROOT,
                "arena %d bytes, peak live %d bytes (lower bound, arena/bound %.3f), naive %d bytes",
                plan.arenaBytes(),
                plan.peakLiveBytes(),
                plan.peakLiveBytes() == 0 ? 1.0 : (double) plan.arenaBytes() / plan.peakLiveBytes(),
                plan.naiveBytes()));
        return g.withPlan(plan);
    }

    /** The plan for {@code g} at its symbols' upper bounds (for backends given an unplanned graph). */
    public static MemoryPlan plan(Graph g) {
        BufferLiveness live = BufferLiveness.of(g, g.symbols(), ALIGNMENT);
        ArenaPlanner.Placement p = ArenaPlanner.place(live.buffers(), g.nodes().size());
        Map<Value, MemoryPlan.Slot> slots = new IdentityHashMap<>();
        long naive = 0;
        for (Node n : g.nodes()) {
            for (Value out : n.outputs()) {
                Integer b = live.bufferOf(out);
                if (b == null) {
                    continue;
                }
                long bytes = BufferLiveness.byteSize(out, g.symbols());
                slots.put(out, new MemoryPlan.Slot(p.offsets()[b], bytes));
                if (!BufferLiveness.VIEW_OPS.contains(n.op())) {
                    naive += BufferLiveness.align(bytes, ALIGNMENT);
                }
            }
        }
        return new MemoryPlan(p.arenaBytes(), naive, p.peakLiveBytes(), ALIGNMENT, slots);
    }
}
