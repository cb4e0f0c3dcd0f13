package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GELU and SiLU written out in primitive ops:
 *
 * <pre>
 * gelu (erf):   0.5 * x * (1 + erf(x / sqrt(2)))                      x / sqrt(2) may be x * 0.7071...
 * gelu (tanh):  0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))  x^3 = pow(x, 3) or x * x * x
 * silu:         x * sigmoid(x)
 * </pre>
 *
 * Exports differ in how they bracket the product {@code 0.5 * x * (1 + ...)}, so the GELU matcher
 * flattens the tree of {@code mul} nodes under the anchor into its factors and asks for exactly
 * three: the constant 0.5, {@code x}, and {@code 1 + erf/tanh(...)} of that same {@code x}.
 */
final class ActivationRecognizers {
    private ActivationRecognizers() {}

    /** Relative tolerance on literals such as sqrt(2) that exports round to f32. */
    private static final double REL = 1e-6;

    static final class Gelu implements Recognizer {
        @Override
        public String produces() {
            return "gelu";
        }

        @Override
        public List<Node> match(Node anchor, PatternGraph g) {
            if (!anchor.op().equals("mul") || !PatternGraph.isFloat(anchor.output())) {
                return null;
            }
            for (Value f : factors(anchor, null, g)) {
                Node onePlus = g.def(f, "add");
                Value[] parts = onePlus == null ? null : PatternGraph.either(onePlus, v -> g.isScalar(v, 1.0, 0));
                if (parts == null) {
                    continue;
                }
                Node erf = g.def(parts[1], "erf");
                Node tanh = g.def(parts[1], "tanh");
                Value x = erf != null
                        ? erfArgument(erf.input(0), g)
                        : tanh != null ? tanhArgument(tanh.input(0), g) : null;
                if (x == null) {
                    continue;
                }
                List<Value> fs = factors(anchor, x, g);
                boolean exact = fs.size() == 3
                        && fs.contains(f)
                        && fs.stream().filter(v -> v == x).count() == 1
                        && fs.stream().anyMatch(v -> g.isScalar(v, 0.5, 0));
                if (exact) {
                    String approx = erf != null ? "none" : "tanh";
                    return new Replacement(anchor).finish("gelu", List.of(x), Map.of("approximate", Attr.of(approx)));
                }
            }
            return null;
        }

        /** {@code x / sqrt(2)} or {@code x * (1/sqrt(2))}: returns x. */
        private static Value erfArgument(Value v, PatternGraph g) {
            Node div = g.def(v, "div");
            if (div != null) {
                return g.isScalar(div.input(1), Math.sqrt(2), REL) ? div.input(0) : null;
            }
            Node mul = g.def(v, "mul");
            Value[] p = mul == null ? null : PatternGraph.either(mul, w -> g.isScalar(w, Math.sqrt(0.5), REL));
            return p == null ? null : p[1];
        }

        /** {@code sqrt(2/pi) * (x + 0.044715 * x^3)}: returns x. */
        private static Value tanhArgument(Value v, PatternGraph g) {
            Node mul = g.def(v, "mul");
            Value[] p = mul == null ? null : PatternGraph.either(mul, w -> g.isScalar(w, Math.sqrt(2 / Math.PI), REL));
            Node add = p == null ? null : g.def(p[1], "add");
            if (add == null) {
                return null;
            }
            for (int i = 0; i < 2; i++) {
                Value x = add.input(i);
                Node cubic = g.def(add.input(1 - i), "mul");
                Value[] c = cubic == null ? null : PatternGraph.either(cubic, w -> g.isScalar(w, 0.044715, REL));
                if (c != null && isCube(c[1], x, g)) {
                    return x;
                }
            }
            return null;
        }

        private static boolean isCube(Value v, Value x, PatternGraph g) {
            Node pow = g.def(v, "pow");
            if (pow != null) {
                return pow.input(0) == x && g.isScalar(pow.input(1), 3.0, 0);
            }
            Node mul = g.def(v, "mul");
            if (mul == null) {
                return false;
            }
            Value[] p = PatternGraph.either(mul, w -> w == x);
            Node sq = p == null ? null : g.def(p[1], "mul");
            return sq != null && sq.input(0) == x && sq.input(1) == x;
        }
    }

    static final class Silu implements Recognizer {
        @Override
        public String produces() {
            return "silu";
        }

        @Override
        public List<Node> match(Node anchor, PatternGraph g) {
            if (!anchor.op().equals("mul") || anchor.inputs().size() != 2) {
                return null;
            }
            for (int i = 0; i < 2; i++) {
                Node sig = g.def(anchor.input(i), "sigmoid");
                if (sig != null && sig.input(0) == anchor.input(1 - i)) {
                    return new Replacement(anchor).finish("silu", List.of(sig.input(0)), Map.of());
                }
            }
            return null;
        }
    }

    /**
     * The factors of the product {@code anchor} computes: operands of nested {@code mul} nodes,
     * two levels deep, never expanding {@code stop} (the GELU input, which may itself be a product).
     */
    static List<Value> factors(Node anchor, Value stop, PatternGraph g) {
        List<Value> out = new ArrayList<>();
        collect(anchor, stop, g, 0, out);
        return out;
    }

    private static void collect(Node mul, Value stop, PatternGraph g, int depth, List<Value> out) {
        for (Value v : mul.inputs()) {
            Node inner = v == stop || depth >= 2 ? null : g.def(v, "mul");
            if (inner != null) {
                collect(inner, stop, g, depth + 1, out);
            } else {
                out.add(v);
            }
        }
    }
}
