package fsc.backend.java;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

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
    record Epilogue(Value bias, String activation, List<Node> absorbed) {}

    private final Map<Node, Epilogue> epilogues = new IdentityHashMap<>();
    private final Map<Node, Value> aliases = new IdentityHashMap<>();

    private EpilogueFusion() {}

    static EpilogueFusion of(Graph g, WeightsLayout weights) {
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

    private static String activation(Node n) {
        return switch (n.op()) {
            case "relu" -> "RELU";
            case "gelu" -> n.strAttr("approximate", "none").equals("tanh") ? "GELU_TANH" : "GELU";
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
