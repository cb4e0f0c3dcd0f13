package fsc.frontend.onnx;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ai.onnx.preview:FlexAttention}: scaled dot-product attention with user subgraphs that
 * rewrite the score tensor before the softmax ({@code score_mod}) and the probabilities after it
 * ({@code prob_mod}). Spelled as the operator's ONNX function body (onnx/defs/preview/defs.cc):
 *
 * <pre>
 * K, V repeated per query-head group (GQA);  s = √scale (scale defaults to 1/√head_size)
 * S = (Q·s)(K·s)ᵀ, cast to the softmax precision (f32 unless the inputs are f64)
 * S = score_mod(S);  P = softmax(S, axis 3);  P = prob_mod(P)
 * Y = P·V (in the softmax precision, cast back to the input type)
 * </pre>
 *
 * Each modifier subgraph is imported and its nodes join the enclosing graph with its one input bound
 * to the tensor, as the function body inlines it; values it reads from the outer scope resolve there.
 * Later passes see plain matmul/softmax chains, which {@code recognize} turns into {@code attention}
 * where the modifiers leave that shape intact.
 */
final class FlexAttentionConverter {
    private FlexAttentionConverter() {}

    static final String PREVIEW_DOMAIN = "ai.onnx.preview";

    static void register(List<OnnxOps.Rule> rules) {
        rules.add(new OnnxOps.Rule(PREVIEW_DOMAIN, "FlexAttention", 1, FlexAttentionConverter::convert));
    }

    private static void convert(NodeContext c) {
        Value q = c.input(0);
        Value k = c.input(1);
        Value v = c.input(2);
        DType t = q.dtype();
        if (q.type().rank() != 4 || k.type().rank() != 4 || v.type().rank() != 4) {
            throw c.fail("needs rank-4 Q (B, Hq, L, E), K (B, Hkv, S, E) and V (B, Hkv, S, Ev), got " + q.type() + ", "
                    + k.type() + ", " + v.type());
        }
        if (!t.isFloat() || k.dtype() != t || v.dtype() != t) {
            throw c.fail("Q, K and V must share one float type, got " + q.type() + ", " + k.type() + ", " + v.type());
        }
        DType softmaxType = c.attrs
                .intValue("softmax_precision")
                .map(p -> OnnxDTypes.toIr((int) (long) p)
                        .orElseThrow(() -> c.fail("softmax_precision " + p + " is no ONNX element type")))
                .orElse(t == DType.F64 ? DType.F64 : DType.F32);
        if (!softmaxType.isFloat()) {
            throw c.fail("softmax_precision must be a float type, got " + softmaxType);
        }
        k = groupAligned(c, k, q.type().dim(1), "k");
        v = groupAligned(c, v, q.type().dim(1), "v");

        double scale;
        if (c.attrs.floatValue("scale").isPresent()) {
            scale = c.attrs.floatValue("scale").get();
        } else {
            Dim e = q.type().dim(3);
            if (!e.isFixed()) {
                throw c.fail("the default scale needs a fixed head size, got " + q.type());
            }
            scale = 1.0f / (float) Math.sqrt((float) e.value());
        }
        // The function body scales Q and K by √scale, computed in f32 and cast to the input type.
        Value root = ActivationConverters.scalar(c, "sqrt_scale", t, (float) Math.sqrt((float) scale));
        Value qs = c.emit("mul", List.of(q, root), Map.of(), c.temp("q_scaled"));
        Value ks = c.emit("mul", List.of(k, root), Map.of(), c.temp("k_scaled"));
        Value kt = c.emit("transpose", List.of(ks), Map.of("perm", Attr.ints(0, 1, 3, 2)), c.temp("k_transposed"));
        Value scores = cast(c, c.emit("matmul", List.of(qs, kt), Map.of(), c.temp("scores")), softmaxType, "scores");
        scores = modified(c, "score_mod", scores);
        Value probs = c.emit("softmax", List.of(scores), Map.of("axis", new Attr.Int(3)), c.temp("probs"));
        probs = modified(c, "prob_mod", probs);
        if (softmaxType == t) {
            c.produce("matmul", List.of(probs, v), Map.of());
        } else {
            Value vs = cast(c, v, softmaxType, "v");
            Value y = c.emit("matmul", List.of(probs, vs), Map.of(), c.temp("y"));
            c.produce("cast", List.of(y), Map.of("to", new Attr.Type(t)));
        }
    }

    /** K or V with each of its Hkv heads repeated for the {@code Hq / Hkv} query heads that share it. */
    private static Value groupAligned(NodeContext c, Value x, Dim qHeads, String what) {
        Dim kvHeads = x.type().dim(1);
        if (kvHeads.equals(qHeads)) {
            return x;
        }
        if (!kvHeads.isFixed() || !qHeads.isFixed() || qHeads.value() % kvHeads.value() != 0) {
            throw c.fail("q_num_heads (" + qHeads + ") must be a multiple of kv_num_heads (" + kvHeads + ")");
        }
        long repeat = qHeads.value() / kvHeads.value();
        List<Dim> d = x.type().dims();
        Value u = c.emit("unsqueeze", List.of(x), Map.of("axes", Attr.ints(2)), c.temp(what + "_unsqueezed"));
        List<Dim> expanded = List.of(d.get(0), kvHeads, Dim.of(repeat), d.get(2), d.get(3));
        Value e = c.emit("expand", List.of(u), Map.of("shape", new Attr.Dims(expanded)), c.temp(what + "_expanded"));
        List<Dim> aligned = List.of(d.get(0), qHeads, d.get(2), d.get(3));
        return c.emit("reshape", List.of(e), Map.of("shape", new Attr.Dims(aligned)), c.temp(what + "_aligned"));
    }

    /**
     * {@code x} through the modifier subgraph {@code attr}, or {@code x} when the node has none or it is
     * the identity (its output is its input). The subgraph's nodes are added here, their values renamed
     * under this node's output so two FlexAttentions with equal subgraphs do not collide.
     */
    private static Value modified(NodeContext c, String attr, Value x) {
        var graph = c.attrs.graph(attr);
        if (graph.isEmpty()) {
            return x;
        }
        if (graph.get().getInputCount() != 1 || graph.get().getOutputCount() != 1) {
            throw c.fail(attr + " must have one input and one output, it has "
                    + graph.get().getInputCount() + " and " + graph.get().getOutputCount());
        }
        ControlFlowConverters.Body body = ControlFlowConverters.importBody(c, attr, List.of(x.type()));
        Map<Value, Value> subst = new IdentityHashMap<>();
        subst.put(body.params().getFirst(), x);
        body.captures().forEach((outer, param) -> subst.put(param, outer));
        for (Node n : body.nodes()) {
            List<Value> ins =
                    n.inputs().stream().map(in -> subst.getOrDefault(in, in)).toList();
            List<Value> outs = new ArrayList<>();
            for (Value o : n.outputs()) {
                Value renamed = new Value(c.temp(attr + "/" + o.name()), o.type());
                subst.put(o, renamed);
                outs.add(renamed);
            }
            c.scope().builder.add(new Node(n.op(), n.name(), ins, outs, n.attrs(), n.body(), n.regions()));
        }
        Value result = body.results().getFirst();
        Value y = subst.getOrDefault(result, result);
        if (!y.type().equals(x.type())) {
            throw c.fail(attr + " must keep its input's type " + x.type() + ", it gives " + y.type());
        }
        return y;
    }

    private static Value cast(NodeContext c, Value x, DType to, String what) {
        return x.dtype() == to
                ? x
                : c.emit("cast", List.of(x), Map.of("to", new Attr.Type(to)), c.temp(what + "_" + to.irName()));
    }
}
