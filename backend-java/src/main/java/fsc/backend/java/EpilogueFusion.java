package fsc.backend.java;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds the bias add and activation that follow a weight GEMM into the runtime's GEMM epilogue
 * ({@code Sgemm.gemmPacked(..., GemmEpilogue, ...)}), so a linear layer's result is biased and
 * activated per tile while it is still in cache instead of in two more passes over memory:
 *
 * <pre>
 *   %m = matmul(%x, %w)      %m = matmul(%x, %w)  + epilogue(bias %b, GELU)
 *   %a = add(%m, %b)    →    %a  is %m (no code)
 *   %g = gelu(%a)            %g  is %m (no code)
 * </pre>
 *
 * A step is absorbed only when the value it reads has that single reader and is not a graph output,
 * so nothing else can observe the intermediate. The absorbed nodes become aliases of the GEMM's output
 * in {@link SlotPlan}, exactly like views. This is the backend's local form of the {@code fuse} pass.
 */
final class EpilogueFusion {
    /**
     * What one weight GEMM absorbs: a bias (or null), an activation name from
     * {@code GemmEpilogue.Activation}, and the nodes that no longer run on their own.
     */
    record Epilogue(Value bias, String activation, List<Node> absorbed, float lo, float hi, Value target) {
        Epilogue(Value bias, String activation, List<Node> absorbed) {
            this(bias, activation, absorbed, 0f, 0f, null);
        }
    }

    private final Map<Node, Epilogue> epilogues = new IdentityHashMap<>();
    private final Map<Node, Value> aliases = new IdentityHashMap<>();
    private final Set<Node> redirected = Collections.newSetFromMap(new IdentityHashMap<>());

    private EpilogueFusion() {}

    static EpilogueFusion of(Graph g, WeightsLayout weights) {
        return of(g, weights, null);
    }

    /** With the memory plan, 2-D convs also absorb activations the plan did not put in place. */
    static EpilogueFusion of(Graph g, WeightsLayout weights, MemoryPlan plan) {
        EpilogueFusion f = new EpilogueFusion();
        Map<Value, List<Node>> readers = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            for (Value in : n.inputs()) {
                readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        for (Node n : g.nodes()) {
            if (isWeightGemm(n, weights)) {
                f.absorb(g, n, readers, weights);
            } else if (ConvEpilogues.isConv2d(n) && plan != null) {
                f.absorbConv(g, n, readers, plan);
            }
        }
        return f;
    }

    /** A matmul whose right operand is a constant 2-D f32 weight: the packed path, which takes an epilogue. */
    static boolean isWeightGemm(Node n, WeightsLayout weights) {
        if (!n.op().equals("matmul") || n.output().dtype() != DType.F32) {
            return false;
        }
        Value b = n.input(1);
        return weights.index().containsKey(b)
                && b.type().rank() == 2
                && b.type().isStatic()
                && n.input(0).type().rank() >= 2;
    }

    private void absorb(Graph g, Node gemm, Map<Value, List<Node>> readers, WeightsLayout weights) {
        Value out = gemm.output();
        Dim cols = out.type().dim(out.type().rank() - 1);
        Value bias = null;
        List<Node> absorbed = new ArrayList<>();
        Node next = soleReader(g, out, readers);
        if (next != null && next.op().equals("add") && next.output().type().equals(out.type())) {
            Value other = next.input(0) == out ? next.input(1) : next.input(0);
            if (isBiasRow(other, cols, weights)) {
                bias = other;
                aliases.put(next, out);
                absorbed.add(next);
                out = next.output();
                next = soleReader(g, out, readers);
            }
        }
        String activation = next == null ? null : activation(next);
        if (activation != null) {
            aliases.put(next, out);
            absorbed.add(next);
        } else {
            activation = "NONE";
        }
        if (bias != null || !activation.equals("NONE")) {
            epilogues.put(gemm, new Epilogue(bias, activation, List.copyOf(absorbed)));
        }
    }

    /**
     * A 2-D conv absorbs the activation that alone reads its output (see {@link ConvEpilogues}). When
     * the plan put the activation in place (a relu), it becomes an alias as for GEMMs. Otherwise (a
     * fused hard-swish, which the planner does not run in place) the conv writes the activated
     * result straight into the activation's own buffer and its own stays unwritten; that is safe only
     * when the activation is the very next node (nothing else runs between them) and its buffer does
     * not overlap the conv's input, which the conv still reads while writing.
     */
    private void absorbConv(Graph g, Node conv, Map<Value, List<Node>> readers, MemoryPlan plan) {
        Node next = soleReader(g, conv.output(), readers);
        ConvEpilogues.Match m = next == null ? null : ConvEpilogues.match(g, next, conv.output());
        if (m == null) {
            return;
        }
        MemoryPlan.Slot own = plan.slotOf(conv.output());
        MemoryPlan.Slot act = plan.slotOf(next.output());
        MemoryPlan.Slot in = plan.slotOf(conv.input(0));
        if (own != null && act != null && own.offset() == act.offset()) {
            aliases.put(next, conv.output());
            epilogues.put(conv, new Epilogue(null, m.activation(), List.of(next), m.lo(), m.hi(), null));
            return;
        }
        int at = g.nodes().indexOf(conv);
        boolean adjacent = at + 1 < g.nodes().size() && g.nodes().get(at + 1) == next;
        boolean overlaps = in != null && act != null && in.offset() < act.end() && act.offset() < in.end();
        if (adjacent && act != null && !overlaps) {
            redirected.add(next);
            epilogues.put(conv, new Epilogue(null, m.activation(), List.of(next), m.lo(), m.hi(), next.output()));
        }
    }

    /** Activations a conv computed into their own buffer: they emit no code. */
    Set<Node> redirected() {
        return redirected;
    }

    private static Node soleReader(Graph g, Value v, Map<Value, List<Node>> readers) {
        List<Node> r = readers.getOrDefault(v, List.of());
        return r.size() == 1 && !g.outputs().contains(v) ? r.getFirst() : null;
    }

    /** A constant f32 of {@code cols} elements laid out as a row ({@code [N]} or {@code [1,...,1,N]}). */
    private static boolean isBiasRow(Value v, Dim cols, WeightsLayout weights) {
        if (!weights.index().containsKey(v)
                || v.dtype() != DType.F32
                || v.type().rank() == 0) {
            return false;
        }
        List<Dim> d = v.type().dims();
        for (int i = 0; i < d.size() - 1; i++) {
            if (!DimCode.isOne(d.get(i))) {
                return false;
            }
        }
        return d.getLast().equals(cols);
    }

    /** The activations a weight GEMM's epilogue applies: {@link #activation}'s cases, for the fuse pass. */
    static final Set<String> GEMM_ACTIVATIONS = Set.of("relu", "gelu");

    private static String activation(Node n) {
        return switch (n.op()) {
            case "relu" -> "RELU";
            case "gelu" -> n.strAttr("approximate").equals("tanh") ? "GELU_TANH" : "GELU";
            default -> null;
        };
    }

    /** The epilogue folded into {@code gemm}, or null. */
    Epilogue epilogue(Node gemm) {
        return epilogues.get(gemm);
    }

    /** Nodes that emit no code because their output is another value's buffer: absorbed steps. */
    Map<Node, Value> aliases() {
        return aliases;
    }
}
