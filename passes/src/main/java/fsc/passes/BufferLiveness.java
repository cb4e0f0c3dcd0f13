package fsc.passes;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The analysis half of {@code plan-memory}: which node outputs share one buffer and over which node
 * indices each buffer is live.
 *
 * <ul>
 *   <li>A view ({@code reshape}, {@code squeeze}, {@code unsqueeze}, {@code identity},
 *       {@code flatten}) is its operand's bytes under another shape: it joins the operand's buffer.
 *   <li>An element-wise op whose operand has the output's exact type and is read for the last time
 *       here writes in place: {@code y[i]} depends only on {@code x[i]}, which the kernel reads
 *       before it writes, so the output joins the operand's buffer too.
 *   <li>A buffer is live from the node defining its first value to the last node reading any of
 *       its values, both inclusive: a node's outputs never overlap its inputs (except in place).
 *       Buffers holding a graph output stay live to the end, because the caller reads them after
 *       the last node.
 * </ul>
 *
 * Graph inputs and constants are not planned: the caller and the weights file own their bytes. A
 * view of one of them has no buffer either.
 */
final class BufferLiveness {
    static final Set<String> VIEW_OPS = Set.of("reshape", "squeeze", "unsqueeze", "identity", "flatten");

    /** Ops whose output element i is a function of their operands' element i only (after broadcasting). */
    static final Set<String> IN_PLACE_OPS = Set.of(
            "add",
            "sub",
            "mul",
            "div",
            "max",
            "min",
            "pow",
            "neg",
            "abs",
            "sqrt",
            "reciprocal",
            "exp",
            "log",
            "erf",
            "tanh",
            "sigmoid",
            "relu",
            "gelu",
            "silu",
            "clip");

    /** One planned buffer: its values (the first defines it), byte size, and live node range. */
    record Buffer(int id, List<Value> values, long bytes, int first, int last) {}

    private final List<Buffer> buffers;
    private final Map<Value, Integer> bufferOf;

    private BufferLiveness(List<Buffer> buffers, Map<Value, Integer> bufferOf) {
        this.buffers = buffers;
        this.bufferOf = bufferOf;
    }

    List<Buffer> buffers() {
        return buffers;
    }

    /** The buffer id of {@code v}, or null when it is not planned. */
    Integer bufferOf(Value v) {
        return bufferOf.get(v);
    }

    static BufferLiveness of(Graph g, Map<String, Long> bounds, int alignment) {
        Set<Value> external = Substitution.identitySet(g.inputs());
        g.constants().forEach(c -> external.add(c.value()));
        Map<Value, Integer> lastRead = new IdentityHashMap<>();
        List<Node> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            for (Value in : nodes.get(i).inputs()) {
                lastRead.put(in, i);
            }
        }
        for (Value out : g.outputs()) {
            lastRead.put(out, nodes.size());
        }
        Map<Value, Integer> bufferOf = new IdentityHashMap<>();
        List<List<Value>> values = new ArrayList<>();
        List<Integer> firsts = new ArrayList<>();
        List<Integer> lasts = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            for (Value out : n.outputs()) {
                if (!out.type().isTensor()) {
                    // A sequence or optional is an object the backend holds, not bytes of the arena.
                    continue;
                }
                Integer joined = joinedBuffer(n, out, i, external, bufferOf, lasts);
                if (joined == null && VIEW_OPS.contains(n.op()) && external.contains(n.input(0))) {
                    external.add(out);
                    continue;
                }
                int b;
                if (joined != null) {
                    b = joined;
                } else {
                    b = values.size();
                    values.add(new ArrayList<>());
                    firsts.add(i);
                    lasts.add(i);
                }
                values.get(b).add(out);
                bufferOf.put(out, b);
                lasts.set(b, Math.max(lasts.get(b), lastRead.getOrDefault(out, i)));
            }
        }
        List<Buffer> buffers = new ArrayList<>();
        for (int b = 0; b < values.size(); b++) {
            long bytes = 0;
            for (Value v : values.get(b)) {
                bytes = Math.max(bytes, align(byteSize(v, bounds), alignment));
            }
            buffers.add(new Buffer(b, List.copyOf(values.get(b)), bytes, firsts.get(b), lasts.get(b)));
        }
        return new BufferLiveness(buffers, bufferOf);
    }

    /** The buffer {@code out} shares (a view's operand's, or an in-place operand's), or null for a new one. */
    private static Integer joinedBuffer(
            Node n, Value out, int index, Set<Value> external, Map<Value, Integer> bufferOf, List<Integer> lasts) {
        if (VIEW_OPS.contains(n.op())) {
            return bufferOf.get(n.input(0));
        }
        // A fused element-wise loop reads element i of each operand before writing element i of its
        // result, like the single ops it fuses, so it too may overwrite an operand that dies there.
        boolean elementwise =
                IN_PLACE_OPS.contains(n.op()) || (n.isFused() && n.fusedKind().equals("elementwise"));
        if (!elementwise || n.outputs().size() != 1) {
            return null;
        }
        for (Value in : n.inputs()) {
            Integer b = bufferOf.get(in);
            boolean dies = b != null && lasts.get(b) <= index;
            if (dies && !external.contains(in) && in.type().equals(out.type()) && onlyOperandIn(n, in, b, bufferOf)) {
                return b;
            }
        }
        return null;
    }

    /**
     * Whether no other operand of {@code n} lives in buffer {@code b}: a view of {@code in} read with
     * broadcasting would see elements the kernel already overwrote. Reading {@code in} itself twice
     * ({@code mul(x, x)}) is fine: both reads of x[i] precede the write of y[i].
     */
    private static boolean onlyOperandIn(Node n, Value in, int b, Map<Value, Integer> bufferOf) {
        for (Value other : n.inputs()) {
            if (other != in && Integer.valueOf(b).equals(bufferOf.get(other))) {
                return false;
            }
        }
        return true;
    }

    /** Bytes of {@code v} with every symbol at its upper bound. */
    static long byteSize(Value v, Map<String, Long> bounds) {
        long n = v.type().elementCount().upperBound(bounds);
        DType t = v.dtype();
        // 4-bit types round up to whole bytes (an odd count pads the last one).
        return t.isSubByte() ? t.bytesFor(n) : n / t.blockSize() * t.blockBytes();
    }

    static long align(long bytes, int alignment) {
        return (bytes + alignment - 1) / alignment * alignment;
    }
}
