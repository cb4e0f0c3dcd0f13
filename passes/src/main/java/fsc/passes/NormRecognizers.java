package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * LayerNorm and RMSNorm written out in primitive ops, as PyTorch's ONNX exporter (opset &lt; 17) and
 * LLaMA exports do:
 *
 * <pre>
 * layer_norm:  d = x - reduce_mean(x);  y = d / sqrt(reduce_mean(d^2) + eps) * w [+ b]
 * rms_norm:    y = x / sqrt(reduce_mean(x^2) + eps) * w    or   x * reciprocal(sqrt(...)) * w
 * </pre>
 *
 * Both reductions must run over the same trailing axes with {@code keepdims}; {@code d^2} may be
 * {@code pow(d, 2)} or {@code mul(d, d)}.
 */
final class NormRecognizers {
    private NormRecognizers() {}

    /** {@code add(mul(norm, w), b)} or {@code mul(norm, w)} with a centred norm → {@code layer_norm}. */
    static final class LayerNorm implements Recognizer {
        @Override
        public String produces() {
            return "layer_norm";
        }

        @Override
        public List<Node> match(Node anchor, PatternGraph g) {
            if (anchor.op().equals("add") && anchor.inputs().size() == 2) {
                for (int i = 0; i < 2; i++) {
                    Node mul = g.def(anchor.input(i), "mul");
                    List<Node> m = mul == null ? null : scaled(anchor, mul, anchor.input(1 - i), g);
                    if (m != null) {
                        return m;
                    }
                }
            }
            return anchor.op().equals("mul") ? scaled(anchor, anchor, null, g) : null;
        }

        private static List<Node> scaled(Node anchor, Node mul, Value bias, PatternGraph g) {
            for (int i = 0; i < 2 && mul.inputs().size() == 2; i++) {
                Norm n = centredNorm(mul.input(i), g);
                if (n != null) {
                    Value scale = mul.input(1 - i);
                    List<Value> in = bias == null ? List.of(n.x, scale) : List.of(n.x, scale, bias);
                    if (!broadcastsOverNormalised(in.subList(1, in.size()), n)) {
                        return null;
                    }
                    return new Replacement(anchor).finish("layer_norm", in, n.attrs());
                }
            }
            return null;
        }

        /** {@code div(d, sqrt(add(reduce_mean(d²), eps)))} with {@code d = sub(x, reduce_mean(x))}. */
        private static Norm centredNorm(Value v, PatternGraph g) {
            Node div = g.def(v, "div");
            if (div == null) {
                return null;
            }
            Value d = div.input(0);
            Node sub = g.def(d, "sub");
            Variance var = variance(div.input(1), d, g);
            if (sub == null || var == null) {
                return null;
            }
            Node mean = g.def(sub.input(1), "reduce_mean");
            Value x = sub.input(0);
            if (mean == null || mean.input(0) != x || !sameAxes(mean, var.reduce, x)) {
                return null;
            }
            return new Norm(x, var.firstAxis, var.eps);
        }
    }

    /** {@code mul(x / sqrt(mean(x²) + eps), w)} → {@code rms_norm}. */
    static final class RmsNorm implements Recognizer {
        @Override
        public String produces() {
            return "rms_norm";
        }

        @Override
        public List<Node> match(Node anchor, PatternGraph g) {
            if (!anchor.op().equals("mul") || anchor.inputs().size() != 2) {
                return null;
            }
            for (int i = 0; i < 2; i++) {
                Norm n = rms(anchor.input(i), g);
                Value scale = anchor.input(1 - i);
                if (n != null && broadcastsOverNormalised(List.of(scale), n)) {
                    return new Replacement(anchor).finish("rms_norm", List.of(n.x, scale), n.attrs());
                }
            }
            return null;
        }

        private static Norm rms(Value v, PatternGraph g) {
            Node div = g.def(v, "div");
            if (div != null) {
                Variance var = variance(div.input(1), div.input(0), g);
                return var == null ? null : new Norm(div.input(0), var.firstAxis, var.eps);
            }
            Node mul = g.def(v, "mul");
            if (mul == null) {
                return null;
            }
            for (int i = 0; i < 2; i++) {
                Node rec = g.def(mul.input(i), "reciprocal");
                Value x = mul.input(1 - i);
                Variance var = rec == null ? null : variance(rec.input(0), x, g);
                if (var != null) {
                    return new Norm(x, var.firstAxis, var.eps);
                }
            }
            return null;
        }
    }

    private record Norm(Value x, int firstAxis, double eps) {
        Map<String, Attr> attrs() {
            return Map.of("axis", Attr.of((long) firstAxis), "epsilon", Attr.of(eps));
        }
    }

    private record Variance(Node reduce, int firstAxis, double eps) {}

    /** {@code sqrt(add(reduce_mean(sq(d)), eps))}, where {@code sq(d)} is {@code d²}. */
    private static Variance variance(Value v, Value d, PatternGraph g) {
        Node sqrt = g.def(v, "sqrt");
        Node add = sqrt == null ? null : g.def(sqrt.input(0), "add");
        Value[] parts = add == null ? null : PatternGraph.either(add, w -> g.def(w, "reduce_mean") != null);
        if (parts == null || g.scalar(parts[1]) == null) {
            return null;
        }
        Node reduce = g.def(parts[0], "reduce_mean");
        if (!isSquareOf(reduce.input(0), d, g)) {
            return null;
        }
        Integer first = trailingAxes(reduce, d.type().rank());
        return first == null ? null : new Variance(reduce, first, g.scalar(parts[1]));
    }

    private static boolean isSquareOf(Value sq, Value d, PatternGraph g) {
        Node pow = g.def(sq, "pow");
        if (pow != null) {
            return pow.input(0) == d && g.isScalar(pow.input(1), 2.0, 0);
        }
        Node mul = g.def(sq, "mul");
        return mul != null && mul.input(0) == d && mul.input(1) == d;
    }

    /**
     * The first axis when {@code reduce} (keepdims, axes in attribute form) covers exactly the
     * trailing axes {@code k..rank-1}, as a negative number ({@code -1} for the last axis); else null.
     */
    private static Integer trailingAxes(Node reduce, int rank) {
        long[] axes = reduce.intsAttr("axes");
        if (reduce.inputs().size() != 1 || axes == null || axes.length == 0 || reduce.intAttr("keepdims") != 1) {
            return null;
        }
        long[] norm = java.util.Arrays.stream(axes)
                .map(a -> a < 0 ? a + rank : a)
                .sorted()
                .toArray();
        for (int i = 0; i < norm.length; i++) {
            if (norm[i] != rank - norm.length + i) {
                return null;
            }
        }
        return -norm.length;
    }

    private static boolean sameAxes(Node a, Node b, Value x) {
        Integer fa = trailingAxes(a, x.type().rank());
        return fa != null && fa.equals(trailingAxes(b, x.type().rank()));
    }

    /**
     * Whether each of {@code params} (scale, bias) spans exactly the normalised axes, possibly with
     * leading 1s: {@code [384]} or {@code [1,1,384]} on {@code [B,S,384]}, never {@code [S,384]}.
     */
    private static boolean broadcastsOverNormalised(List<Value> params, Norm n) {
        List<Dim> xd = n.x.type().dims();
        List<Dim> tail = xd.subList(xd.size() + n.firstAxis, xd.size());
        for (Value p : params) {
            List<Dim> pd = p.type().dims();
            int lead = pd.size() - tail.size();
            if (lead < 0 || !pd.subList(lead, pd.size()).equals(tail)) {
                return false;
            }
            for (Dim d : pd.subList(0, lead)) {
                if (!d.equals(Dim.of(1))) {
                    return false;
                }
            }
        }
        return true;
    }
}
