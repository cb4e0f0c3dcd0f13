package fsc.backend.cuda;

import fsc.ir.Constant;
import fsc.ir.Graph;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where every value lives on the device: activations at their memory-plan offset in the one arena,
 * graph inputs the plan left out after the plan's end, views (reshape and friends) at their source's
 * address, constants in one weights buffer uploaded once, and the one input kernels update in place
 * (the paged KV cache) at the start of its own resident buffer. The weights buffer is the jar's
 * {@code fsc/weights.bin}, laid out by the Java backend, so both targets share one copy. Kernels bake these offsets in, so a
 * launch passes only the three base pointers and the symbol values.
 */
final class DeviceLayout {
    /** Ops whose output is their input's bytes under another shape: no kernel, same address. */
    static final Set<String> VIEW_OPS = Set.of("reshape", "squeeze", "unsqueeze", "identity", "flatten");

    /** Extra-input offsets are aligned for 128-byte coalesced loads and WMMA's 32-byte rule. */
    static final int ALIGN = 256;

    enum Space {
        ARENA,
        WEIGHTS,
        /**
         * The resident state buffer (kernel parameter {@code P}): sized by the runtime from its own
         * budget, not by the compiled bound, because the bound of a KV cache's block count is far
         * beyond any device's memory.
         */
        STATE
    }

    record Address(Space space, long offset) {}

    /**
     * A graph input or output: where the host copies it to or from. The resident input lives at
     * offset 0 of the state buffer; an output the passes folded to a constant is read from the
     * weights buffer.
     */
    record Io(Value value, Space space, long offset) {
        boolean resident() {
            return space == Space.STATE;
        }
    }

    private final Map<Value, Address> addresses;
    private final long arenaBytes;
    private final List<Io> inputs;
    private final List<Io> outputs;

    private DeviceLayout(Map<Value, Address> addresses, long arenaBytes, List<Io> inputs, List<Io> outputs) {
        this.addresses = addresses;
        this.arenaBytes = arenaBytes;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /**
     * @param weightOffsets where each constant lies in the jar's {@code fsc/weights.bin}, as the Java
     *     backend placed it ({@code JavaBackend.weightOffsets}): the device buffer is that entry, so a
     *     jar carrying both targets stores its weights once. Its 64-byte alignment covers WMMA's
     *     32-byte rule and vector loads; constants nothing reads have no offset and no address.
     */
    static DeviceLayout of(Graph g, MemoryPlan plan, Map<Value, Long> weightOffsets) {
        Map<Value, Address> at = new IdentityHashMap<>();
        for (Constant c : g.constants()) {
            Long off = weightOffsets.get(c.value());
            if (off != null) {
                at.put(c.value(), new Address(Space.WEIGHTS, off));
            }
        }
        long end = align(plan.arenaBytes());
        Set<String> resident = CudaModule.updatedInPlace(g);
        if (resident.size() > 1) {
            throw new IllegalStateException("backend-cuda: more than one input is updated in place " + resident
                    + ", the state buffer holds one");
        }
        for (Value in : g.inputs()) {
            MemoryPlan.Slot s = plan.slots().get(in);
            if (resident.contains(in.name())) {
                at.put(in, new Address(Space.STATE, 0));
            } else if (s != null) {
                at.put(in, new Address(Space.ARENA, s.offset()));
            } else {
                at.put(in, new Address(Space.ARENA, end));
                end = align(end + in.dtype().bytesFor(in.type().elementCount().upperBound(g.symbols())));
            }
        }
        for (Node n : g.nodes()) {
            for (Value out : n.outputs()) {
                MemoryPlan.Slot s = plan.slots().get(out);
                if (VIEW_OPS.contains(n.op()) && at.containsKey(n.input(0))) {
                    at.put(out, at.get(n.input(0)));
                } else if (s != null) {
                    at.put(out, new Address(Space.ARENA, s.offset()));
                } else {
                    throw new IllegalStateException("backend-cuda: value " + out.name() + " of node " + n.name()
                            + " has no slot in the memory plan (expected every node output planned)");
                }
            }
        }
        List<Io> ins = g.inputs().stream().map(v -> io(at, v)).toList();
        List<Io> outs = g.outputs().stream().map(v -> io(at, v)).toList();
        return new DeviceLayout(at, end, ins, outs);
    }

    private static Io io(Map<Value, Address> at, Value v) {
        Address a = at.get(v);
        if (a == null) {
            throw new IllegalStateException("backend-cuda: graph input/output " + v.name() + " has no device address");
        }
        return new Io(v, a.space(), a.offset());
    }

    static long align(long v) {
        return (v + ALIGN - 1) / ALIGN * ALIGN;
    }

    Address address(Value v) {
        Address a = addresses.get(v);
        if (a == null) {
            throw new IllegalStateException("backend-cuda: no device address for value " + v.name());
        }
        return a;
    }

    /**
     * A C expression for a typed pointer to {@code v}: {@code ((const float*)(W + 0x100))}. The
     * kernel's parameters are {@code A} (arena), {@code W} (weights) and {@code P} (persistent state).
     */
    String pointer(Value v, String type, boolean writable) {
        Address a = address(v);
        String base =
                switch (a.space()) {
                    case ARENA -> "A";
                    case WEIGHTS -> "W";
                    case STATE -> "P";
                };
        if (writable && a.space() == Space.WEIGHTS) {
            throw new IllegalStateException("backend-cuda: kernel writes constant " + v.name());
        }
        return "((" + (writable ? "" : "const ") + type + "*)(" + base + " + 0x" + Long.toHexString(a.offset())
                + "LL))";
    }

    /** Bytes of the arena, extra input slots included (the resident state is not in it). */
    long arenaBytes() {
        return arenaBytes;
    }

    List<Io> inputs() {
        return inputs;
    }

    List<Io> outputs() {
        return outputs;
    }
}
