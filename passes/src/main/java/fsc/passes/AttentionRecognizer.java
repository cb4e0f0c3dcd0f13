package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Scaled dot-product attention written out, as BERT-style exports do:
 *
 * <pre>
 * %s = matmul(%q, %kT)            // kT = transpose(k, [0,2,3,1]) of [B,S,H,D], i.e. [B,H,D,S]
 * %t = div(%s, 2.828)             // or mul(%s, 0.3535), or absent
 * %u = add(%t, %mask)             // optional additive mask broadcasting to [B,H,Sq,Skv]
 * %p = softmax(%u) {axis = -1}
 * %o = matmul(%p, %v)
 *   ⇒
 * %k = transpose(k, [0,2,1,3])    // kT's transpose with its last two axes swapped back
 * %o = attention(%q, %k, %v, %mask) {scale = 0.3535}
 * </pre>
 *
 * When {@code kT} is not itself a transpose, a {@code transpose(kT, [0,1,3,2])} is inserted.
 */
final class AttentionRecognizer implements Recognizer {
    @Override
    public String produces() {
        return "attention";
    }

    @Override
    public List<Node> match(Node anchor, PatternGraph g) {
        if (!anchor.op().equals("matmul") || anchor.output().type().rank() != 4) {
            return null;
        }
        if (anchor.output().dtype() == DType.F64) {
            // attention has kernels for f32 (halves widen to it); f64 chains keep their exact f64 matmuls.
            return null;
        }
        Node softmax = g.def(anchor.input(0), "softmax");
        if (softmax == null || !isLastAxis(softmax.intAttr("axis"), 4)) {
            return null;
        }
        Value scores = softmax.input(0);
        Value mask = null;
        Node add = g.def(scores, "add");
        if (add != null) {
            Value[] parts = PatternGraph.either(add, v -> scaledScores(v, g) != null);
            if (parts == null) {
                return null;
            }
            scores = parts[0];
            mask = parts[1];
        }
        Scaled s = scaledScores(scores, g);
        if (s == null) {
            return null;
        }
        Replacement r = new Replacement(anchor);
        Value k = untransposed(s.qk.input(1), r, g);
        List<Value> in = new ArrayList<>(List.of(s.qk.input(0), k, anchor.input(1)));
        if (mask != null) {
            in.add(mask);
        }
        return r.finish("attention", in, Map.of("scale", Attr.of(s.scale)));
    }

    private record Scaled(Node qk, double scale) {}

    /** {@code matmul(q, kT)}, optionally divided or multiplied by a scalar constant. */
    private static Scaled scaledScores(Value v, PatternGraph g) {
        Node qk = g.def(v, "matmul");
        if (qk != null) {
            return new Scaled(qk, 1.0);
        }
        Node div = g.def(v, "div");
        if (div != null && g.scalar(div.input(1)) != null && g.def(div.input(0), "matmul") != null) {
            return new Scaled(g.def(div.input(0), "matmul"), 1.0 / g.scalar(div.input(1)));
        }
        Node mul = g.def(v, "mul");
        Value[] p = mul == null ? null : PatternGraph.either(mul, w -> g.def(w, "matmul") != null);
        if (p != null && g.scalar(p[1]) != null) {
            return new Scaled(g.def(p[0], "matmul"), g.scalar(p[1]));
        }
        return null;
    }

    /** k as {@code [B,H,S,D]} from {@code kT} as {@code [B,H,D,S]}. */
    private static Value untransposed(Value kT, Replacement r, PatternGraph g) {
        if (kT.type().rank() != 4) {
            return null;
        }
        Node t = g.def(kT, "transpose");
        long[] perm = t == null ? null : t.intsAttr("perm");
        if (perm != null && perm.length == 4) {
            long[] swapped = {perm[0], perm[1], perm[3], perm[2]};
            if (java.util.Arrays.equals(swapped, new long[] {0, 1, 2, 3})) {
                return t.input(0);
            }
            return r.add(
                    "transpose",
                    "k",
                    List.of(t.input(0)),
                    Map.of(
                            "perm",
                            new Attr.Ints(
                                    java.util.Arrays.stream(swapped).boxed().toList())));
        }
        return r.add("transpose", "k", List.of(kT), Map.of("perm", new Attr.Ints(List.of(0L, 1L, 3L, 2L))));
    }

    private static boolean isLastAxis(long axis, int rank) {
        return axis == -1 || axis == rank - 1;
    }
}
