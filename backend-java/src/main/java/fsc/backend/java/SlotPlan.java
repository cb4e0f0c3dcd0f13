package fsc.backend.java;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Assigns every value a buffer by liveness over the node order: a value's slot is released after its
 * last reader and the lowest free slot is reused for the next value (first fit by index, as in simple
 * arena allocators; sizes are symbolic, so a slot is sized per call to the largest value it ever holds
 * under the call's binding). Views ({@code reshape}, {@code squeeze}, {@code unsqueeze},
 * {@code identity}) share the buffer of their source: they form one alias group that lives as long as
 * its longest-lived member. Groups holding a graph output get a per-call buffer instead, since the
 * caller keeps outputs after {@code run} returns.
 *
 * <p>Kept apart from the emitter so that the {@code plan-memory} pass can replace it.
 */
final class SlotPlan {
    /** Ops whose output is the input reinterpreted with another shape: contiguous buffers make them free. */
    static final Set<String> VIEW_OPS = Set.of("reshape", "squeeze", "unsqueeze", "identity", "flatten");

    private final Map<Value, Value> root = new IdentityHashMap<>();
    private final Map<Value, BufferRef> refs = new IdentityHashMap<>();
    private final List<List<Value>> slotValues = new ArrayList<>();
    private final List<Value> outputRoots = new ArrayList<>();

    private SlotPlan() {}

    static SlotPlan of(Graph g, Map<Value, Integer> constantIndex) {
        SlotPlan p = new SlotPlan();
        p.assign(g, constantIndex);
        return p;
    }

    static boolean isView(Node n) {
        return VIEW_OPS.contains(n.op());
    }

    private void assign(Graph g, Map<Value, Integer> constantIndex) {
        for (int i = 0; i < g.inputs().size(); i++) {
            refs.put(g.inputs().get(i), new BufferRef.Input(i));
        }
        for (Constant c : g.constants()) {
            Integer idx = constantIndex.get(c.value());
            if (idx != null) {
                refs.put(c.value(), new BufferRef.Const(idx));
            }
        }
        for (Node n : g.nodes()) {
            for (Value out : n.outputs()) {
                root.put(out, isView(n) ? rootOf(n.input(0)) : out);
            }
        }
        for (Value out : g.outputs()) {
            Value r = rootOf(out);
            if (!refs.containsKey(r) && !outputRoots.contains(r)) {
                outputRoots.add(r);
            }
        }
        Map<Value, Integer> lastUse = new IdentityHashMap<>();
        for (int i = 0; i < g.nodes().size(); i++) {
            for (Value in : g.nodes().get(i).inputs()) {
                lastUse.put(rootOf(in), i);
            }
        }
        TreeSet<Integer> free = new TreeSet<>();
        for (int i = 0; i < g.nodes().size(); i++) {
            Node n = g.nodes().get(i);
            List<Value> born = new ArrayList<>();
            for (Value out : n.outputs()) {
                Value r = rootOf(out);
                if (r == out) {
                    refs.put(out, place(out, free));
                    born.add(out);
                } else {
                    refs.put(out, refOfRoot(r));
                }
            }
            // Outputs are placed before inputs are released, so no kernel writes over what it reads.
            for (Value in : n.inputs()) {
                release(rootOf(in), lastUse, i, free);
            }
            for (Value b : born) {
                release(b, lastUse, i, free);
            }
        }
    }

    private BufferRef place(Value v, TreeSet<Integer> free) {
        int out = outputRoots.indexOf(v);
        if (out >= 0) {
            return new BufferRef.Output(out);
        }
        int slot;
        if (free.isEmpty()) {
            slot = slotValues.size();
            slotValues.add(new ArrayList<>());
        } else {
            slot = free.pollFirst();
        }
        slotValues.get(slot).add(v);
        return new BufferRef.Slot(slot);
    }

    private void release(Value r, Map<Value, Integer> lastUse, int node, TreeSet<Integer> free) {
        Integer last = lastUse.get(r);
        if ((last == null || last == node) && refs.get(r) instanceof BufferRef.Slot s && !free.contains(s.index())) {
            free.add(s.index());
        }
    }

    private BufferRef refOfRoot(Value r) {
        BufferRef ref = refs.get(r);
        if (ref == null) {
            throw new IllegalStateException("value " + r + " is used before it is defined");
        }
        return ref;
    }

    /** The value whose buffer {@code v} uses (itself unless {@code v} is a view). */
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

    int slotCount() {
        return slotValues.size();
    }

    /** Distinct byte sizes of the values slot {@code k} holds; the slot must fit the largest. */
    List<Dim> slotSizes(int k) {
        Set<Dim> sizes = new LinkedHashSet<>();
        for (Value v : slotValues.get(k)) {
            sizes.add(byteSize(v));
        }
        return List.copyOf(sizes);
    }

    /** Values (alias-group roots) that get a per-call output buffer, by {@link BufferRef.Output} index. */
    List<Value> outputRoots() {
        return List.copyOf(outputRoots);
    }

    static Dim byteSize(Value v) {
        DType t = v.dtype();
        return DimCode.times(Dim.of(t.blockBytes()), v.type().elementCount());
    }
}
