package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds every layer's {@link PastKvAttention} in a decoder step exported with explicit past tensors
 * (GPT-2 style: {@code past_i → present_i}; Hugging Face's {@code past_key_values.N.key →
 * present.N.key}, with grouped KV heads repeated and an additive mask from {@code attention_mask}). A softmax whose value operand is not {@code
 * concat(past, new)} is not a cache attention and is left alone; one that is but does not fit
 * (several new tokens, another scale, a mask that is not causal) is a user error naming the node,
 * because paging it anyway would compute something else.
 */
final class PastKvMatcher {
    /** Ops that only select or reorder a past input's elements: gather(past, 0) for the keys, etc. */
    private static final Set<String> VIEWS =
            Set.of("gather", "transpose", "squeeze", "unsqueeze", "slice", "split", "reshape", "identity");

    private final Graph g;
    private final PatternGraph pg;
    private final Map<Value, List<Node>> readers = new IdentityHashMap<>();
    private final Set<Value> inputs;
    private final Map<Value, Constant> constants = new IdentityHashMap<>();
    private final AdditiveMaskCheck maskCheck;
    /** Each additive mask's verdict: empty when it adds nothing, else why not. */
    private final Map<Value, Optional<String>> maskVerdicts = new IdentityHashMap<>();

    PastKvMatcher(Graph g) {
        this.g = g;
        this.pg = new PatternGraph(g);
        this.inputs = Substitution.identitySet(g.inputs());
        for (Node n : g.nodes()) {
            for (Value in : n.inputs()) {
                readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        g.constants().forEach(c -> constants.put(c.value(), c));
        this.maskCheck = new AdditiveMaskCheck(g, pg);
    }

    /** Every cache attention in graph order, which is layer order. */
    List<PastKvAttention> find() {
        List<PastKvAttention> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (n.op().equals("softmax") && !n.isFused()) {
                PastKvAttention a = match(n);
                if (a != null) {
                    out.add(a);
                }
            }
        }
        return out;
    }

    private PastKvAttention match(Node softmax) {
        List<Node> r = readers.getOrDefault(softmax.output(), List.of());
        if (r.size() != 1 || !r.getFirst().op().equals("matmul") || r.getFirst().input(0) != softmax.output()) {
            return null;
        }
        Node out = r.getFirst();
        Repeated vAll = unrepeat(out.input(1));
        Node cv = pg.def(vAll.source(), "concat");
        if (cv == null || cv.inputs().size() != 2) {
            return null;
        }
        Value vPast = pastInput(cv.input(0));
        if (vPast == null) {
            return null;
        }
        String where = out.where() + " (attention over the past in " + vPast.name() + ")";
        Value vNew = cv.input(1);
        if (out.output().type().rank() != 4 || !isAxis(cv, 2, 4)) {
            throw refuse(where, "the values must be concatenated as [batch, heads, positions, head_dim]");
        }
        List<Dim> od = out.output().type().dims();
        Dim batch = od.get(0);
        Dim pastLength = cv.input(0).type().dim(2);
        if (!od.get(2).equals(Dim.of(1)) || !od.get(1).isFixed() || !od.get(3).isFixed()) {
            throw refuse(
                    where,
                    "it must attend for one new token with fixed heads and head size, got "
                            + out.output().type());
        }
        if (pastLength.asSymbol().isEmpty() || batch.asSymbol().isEmpty()) {
            throw refuse(where, "the batch and the past length must be symbols, got " + batch + " and " + pastLength);
        }
        long heads = od.get(1).value();
        long headDim = od.get(3).value();
        Scores scores = scoresMatmul(softmax, where, batch, pastLength, headDim);
        Value kAll = scores.keys();
        boolean transposed;
        long kGroups = 1;
        Node ck = pg.def(kAll, "concat");
        if (ck != null && isAxis(ck, 3, 4)) {
            transposed = true;
        } else {
            Node t = pg.def(kAll, "transpose");
            Repeated keys = t == null ? null : unrepeat(t.input(0));
            ck = keys == null ? null : pg.def(keys.source(), "concat");
            if (ck == null
                    || !java.util.Arrays.equals(t.intsAttr("perm"), new long[] {0, 1, 3, 2})
                    || !isAxis(ck, 2, 4)) {
                throw refuse(where, "the keys must be concat(past, new) along the positions");
            }
            kGroups = keys.groups();
            transposed = false;
        }
        if (kGroups != vAll.groups() || heads % kGroups != 0) {
            throw refuse(
                    where,
                    "the keys are repeated " + kGroups + " times and the values " + vAll.groups() + " times for "
                            + heads + " heads");
        }
        long kvHeads = heads / kGroups;
        Value kPast = ck.inputs().size() == 2 ? pastInput(ck.input(0)) : null;
        if (kPast == null) {
            throw refuse(where, "the keys are not concat(past, new) of a past input");
        }
        Value q = scores.q();
        List<Dim> unit = List.of(batch, Dim.of(heads), Dim.of(1), Dim.of(headDim));
        List<Dim> kvUnit = List.of(batch, Dim.of(kvHeads), Dim.of(1), Dim.of(headDim));
        List<Dim> kUnit = transposed ? List.of(batch, Dim.of(kvHeads), Dim.of(headDim), Dim.of(1)) : kvUnit;
        if (!q.type().dims().equals(unit)
                || !vNew.type().dims().equals(kvUnit)
                || !ck.input(1).type().dims().equals(kUnit)) {
            throw refuse(
                    where,
                    "q must hold one token of " + heads + " heads of " + headDim + ", the new key and value one of "
                            + kvHeads + ", got " + q.type() + ", " + ck.input(1).type() + ", " + vNew.type());
        }
        return new PastKvAttention(
                q,
                ck.input(1),
                transposed,
                vNew,
                out,
                List.of(kPast, vPast),
                batch,
                pastLength,
                heads,
                kvHeads,
                headDim);
    }

    /** A value and how many query heads each of its KV heads serves. */
    private record Repeated(Value source, long groups) {}

    /**
     * Hugging Face's {@code repeat_kv} of {@code [B,KV,T,D]} keys or values: {@code unsqueeze} at
     * axis 2, {@code expand} to {@code [B,KV,n,T,D]}, {@code reshape} to {@code [B,KV*n,T,D]}, so
     * query head {@code h} reads KV head {@code h / n}, as paged attention's grouped heads do. Any
     * other value is itself, once.
     */
    private Repeated unrepeat(Value v) {
        Node r = pg.def(v, "reshape");
        Node e = r == null ? null : pg.def(r.input(0), "expand");
        Node u = e == null ? null : pg.def(e.input(0), "unsqueeze");
        if (u == null || u.input(0).type().rank() != 4 || v.type().rank() != 4) {
            return new Repeated(v, 1);
        }
        List<Dim> src = u.input(0).type().dims();
        List<Dim> wide = e.output().type().dims();
        long[] axes = u.intsAttr("axes");
        boolean axis2 = axes.length == 1 && (axes[0] == 2 || axes[0] == -3);
        if (!axis2
                || wide.size() != 5
                || !wide.get(2).isFixed()
                || !src.get(1).isFixed()
                || !List.of(src.get(0), src.get(1), src.get(2), src.get(3))
                        .equals(List.of(wide.get(0), wide.get(1), wide.get(3), wide.get(4)))
                || !v.type()
                        .dims()
                        .equals(List.of(
                                src.get(0),
                                Dim.of(src.get(1).value() * wide.get(2).value()),
                                src.get(2),
                                src.get(3)))) {
            return new Repeated(v, 1);
        }
        return new Repeated(u.input(0), wide.get(2).value());
    }

    /** The operands of the scores' matmul, each with its constant scale taken off. */
    private record Scores(Value q, Value keys) {}

    /**
     * Walks from the softmax's operand up to {@code matmul(q, k)} through the 1/sqrt(D) scale and an
     * optional causal mask; anything else between them is refused. The scale may also sit on the
     * matmul's operands, {@code matmul(q·c, kᵀ·c)}, as {@code torch.onnx} writes {@code
     * scaled_dot_product_attention} (c = D^-1/4).
     */
    private Scores scoresMatmul(Node softmax, String where, Dim batch, Dim pastLength, long headDim) {
        Value x = softmax.input(0);
        double scale = 1;
        for (int steps = 0; steps < 8; steps++) {
            Node d = pg.def(x);
            if (d == null) {
                break;
            }
            switch (d.op()) {
                case "matmul" -> {
                    Value q = d.input(0);
                    Value k = d.input(1);
                    Node qs = pg.def(q, "mul");
                    Double qScale = qs == null ? null : pg.scalar(qs.input(1));
                    if (qScale != null) {
                        scale *= qScale;
                        q = qs.input(0);
                    }
                    Node ks = pg.def(k, "mul");
                    Double kScale = ks == null ? null : pg.scalar(ks.input(1));
                    if (kScale != null) {
                        scale *= kScale;
                        k = ks.input(0);
                    }
                    if (Math.abs(scale * Math.sqrt(headDim) - 1) > 1e-6) {
                        throw refuse(where, "the scores are scaled by " + scale + ", not 1/sqrt(" + headDim + ")");
                    }
                    return new Scores(q, k);
                }
                case "div", "mul" -> {
                    Double s = pg.scalar(d.input(1));
                    if (s == null) {
                        throw refuse(where, "the scores are scaled by a value that is not a constant");
                    }
                    scale *= d.op().equals("div") ? 1 / s : s;
                    x = d.input(0);
                }
                case "add" -> {
                    // Every layer adds the same mask: it is evaluated once.
                    String why = maskVerdicts
                            .computeIfAbsent(
                                    d.input(1), m -> Optional.ofNullable(maskCheck.whyNot(m, batch, pastLength)))
                            .orElse(null);
                    if (why != null) {
                        throw refuse(where, "its additive mask is not the causal mask of the new token: " + why);
                    }
                    x = d.input(0);
                }
                case "where" -> {
                    if (!constants.containsKey(d.input(2)) || !isCausal(d.input(0), pastLength)) {
                        throw refuse(where, "its mask is not the causal mask of the new token");
                    }
                    x = d.input(1);
                }
                default -> throw refuse(where, "'" + d.op() + "' between the scores and the softmax is not supported");
            }
        }
        throw refuse(where, "no matmul of q and the keys feeds its softmax");
    }

    /**
     * Whether {@code cond} is the new token's row of a causal mask: row {@code P} (a slice starting
     * at the past length) of a constant lower-triangular table, read from column 0. With one new
     * token that row keeps every position, which is what paged attention computes.
     */
    private boolean isCausal(Value cond, Dim pastLength) {
        Value v = cond;
        boolean row = false;
        while (!constants.containsKey(v)) {
            Node d = pg.def(v);
            if (d == null) {
                return false;
            }
            switch (d.op()) {
                case "cast", "identity" -> {}
                case "slice" -> {
                    int rank = d.input(0).type().rank();
                    long[] axes = d.intsAttr("axes");
                    List<Dim> starts = d.dimsAttr("starts");
                    for (int i = 0; i < axes.length; i++) {
                        long axis = axes[i] < 0 ? axes[i] + rank : axes[i];
                        if (axis == rank - 2 && starts.get(i).equals(pastLength)) {
                            row = true;
                        } else if (axis != rank - 1 || !starts.get(i).equals(Dim.of(0))) {
                            return false;
                        }
                    }
                }
                default -> {
                    return false;
                }
            }
            v = d.input(0);
        }
        return row && lowerTriangular(g.weights().get(constants.get(v).weight()));
    }

    private static boolean lowerTriangular(WeightData w) {
        int rank = w.dims().size();
        if (rank < 2 || w.dtype().isQuantizedBlock()) {
            return false;
        }
        long n = w.dims().get(rank - 1);
        if (w.dims().get(rank - 2) != n) {
            return false;
        }
        for (int i = 0; i < w.elementCount(); i++) {
            long col = i % n;
            long r = (i / n) % n;
            if ((WeightValues.element(w, i) != 0) != (col <= r)) {
                return false;
            }
        }
        return true;
    }

    /** The graph input {@code v} only selects from (through views), or null. */
    private Value pastInput(Value v) {
        Value x = v;
        for (int steps = 0; steps < 8; steps++) {
            if (inputs.contains(x)) {
                return x;
            }
            Node d = pg.def(x);
            if (d == null || !VIEWS.contains(d.op())) {
                return null;
            }
            x = d.input(0);
        }
        return null;
    }

    private static boolean isAxis(Node concat, int axis, int rank) {
        long a = concat.intAttr("axis");
        return a == axis || a == axis - rank;
    }

    static FscException refuse(String where, String why) {
        return new FscException(
                "kv-paging: " + where + " cannot be paged: " + why,
                "the pass pages decoders whose attention is concat(past, new) -> matmul -> softmax -> matmul over one new token");
    }
}
