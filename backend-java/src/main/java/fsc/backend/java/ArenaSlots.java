package fsc.backend.java;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where each value's bytes live in the generated class, from the graph's {@link MemoryPlan}: one
 * arena allocated when the model instance is built, sized for the symbols' upper bounds, and one
 * slice of it per distinct planned offset ({@code slotBuf[k]}), cut once in the constructor. A call
 * therefore only reads fields: no buffer is allocated, grown or freed while the model runs.
 *
 * <p>Views ({@code reshape}, ...) and steps the backend folds into their producer ({@link
 * EpilogueFusion}) emit no code and read their source's slot; the plan must have put them at the
 * same offset, which is checked. Graph inputs are the caller's buffers and constants are slices of
 * the weights file; graph outputs are arena slots too, kept valid until the next call.
 */
final class ArenaSlots {
    static final Set<String> VIEW_OPS = Set.of("reshape", "squeeze", "unsqueeze", "identity", "flatten");

    private final MemoryPlan plan;
    private final Map<Value, Value> root = new IdentityHashMap<>();
    private final Map<Value, BufferRef> refs = new IdentityHashMap<>();
    private final List<Long> slotOffsets = new ArrayList<>();
    private final List<Long> slotBytes = new ArrayList<>();

    private ArenaSlots(MemoryPlan plan) {
        this.plan = plan;
    }

    static boolean isView(Node n) {
        return VIEW_OPS.contains(n.op());
    }

    /**
     * @param aliases nodes that emit no code because the backend fused them into the producer of the
     *     given value
     */
    static ArenaSlots of(Graph g, MemoryPlan plan, Map<Value, Integer> constantIndex, Map<Node, Value> aliases) {
        ArenaSlots s = new ArenaSlots(plan);
        s.assign(g, constantIndex, aliases);
        return s;
    }

    private void assign(Graph g, Map<Value, Integer> constantIndex, Map<Node, Value> aliases) {
        for (int i = 0; i < g.inputs().size(); i++) {
            refs.put(g.inputs().get(i), new BufferRef.Input(i));
        }
        for (Constant c : g.constants()) {
            Integer idx = constantIndex.get(c.value());
            if (idx != null) {
                refs.put(c.value(), new BufferRef.Const(idx));
            }
        }
        // Slots by offset, in offset order, so the generated constructor reads like the plan.
        TreeMap<Long, Long> bytesAt = new TreeMap<>();
        for (Node n : g.nodes()) {
            for (Value out : n.outputs()) {
                MemoryPlan.Slot slot = plan.slotOf(out);
                if (slot != null) {
                    bytesAt.merge(slot.offset(), slot.bytes(), Math::max);
                }
            }
        }
        Map<Long, Integer> slotAt = new TreeMap<>();
        bytesAt.forEach((off, bytes) -> {
            slotAt.put(off, slotOffsets.size());
            slotOffsets.add(off);
            slotBytes.add(bytes);
        });
        for (Node n : g.nodes()) {
            Value source = isView(n) ? n.input(0) : aliases.get(n);
            for (Value out : n.outputs()) {
                if (!out.type().isTensor()) {
                    // Sequences and optionals are objects (ModelContext#container), not arena bytes.
                    continue;
                }
                if (source != null) {
                    Value r = rootOf(source);
                    root.put(out, r);
                    BufferRef ref = refOf(r);
                    MemoryPlan.Slot mine = plan.slotOf(out);
                    if (ref instanceof BufferRef.Slot
                            && (mine == null || mine.offset() != slotOffsets.get(((BufferRef.Slot) ref).index()))) {
                        throw new IllegalStateException(n.where() + " shares the buffer of " + source
                                + " but the memory plan put " + out + " at " + mine);
                    }
                    refs.put(out, ref);
                    continue;
                }
                MemoryPlan.Slot slot = plan.slotOf(out);
                if (slot == null) {
                    throw new IllegalStateException("the memory plan has no slot for " + out + " of " + n.where());
                }
                refs.put(out, new BufferRef.Slot(slotAt.get(slot.offset())));
            }
        }
    }

    private BufferRef refOf(Value r) {
        BufferRef ref = refs.get(r);
        if (ref == null) {
            throw new IllegalStateException("value " + r + " is used before it is defined");
        }
        return ref;
    }

    /** The value whose buffer {@code v} uses (itself unless {@code v} is a view or a fused step). */
    Value rootOf(Value v) {
        Value r = root.get(v);
        return r == null ? v : r;
    }

    BufferRef ref(Value v) {
        BufferRef r = refs.get(v);
        if (r == null) {
            throw new IllegalStateException("no buffer for value " + v);
        }
        return r;
    }

    MemoryPlan plan() {
        return plan;
    }

    int slotCount() {
        return slotOffsets.size();
    }

    long slotOffset(int k) {
        return slotOffsets.get(k);
    }

    /** Bytes of slot {@code k}: the largest value planned at its offset, at the symbols' bounds. */
    long slotBytes(int k) {
        return slotBytes.get(k);
    }

    /** Bytes of {@code v} for the current call, as a dimension expression. */
    static Dim byteSize(Value v) {
        DType t = v.dtype();
        if (t.isString()) {
            return Dim.of(0); // on the heap, see ModelContext.strings
        }
        Dim count = v.type().elementCount();
        if (t.isSubByte()) {
            // Two elements a byte, the last one padded: only fixed counts have a Dim for the rounding.
            if (!count.isFixed()) {
                throw new IllegalStateException(v + ": " + t.irName() + " tensors need a fixed element count");
            }
            return Dim.of(t.bytesFor(count.value()));
        }
        return DimCode.times(Dim.of(t.blockBytes()), count);
    }
}
