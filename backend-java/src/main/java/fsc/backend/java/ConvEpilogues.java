package fsc.backend.java;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.util.List;

/**
 * Which activation after a 2-D convolution the runtime's {@code Conv2d} can apply in its epilogue
 * ({@code ConvActivation}): a {@code relu} node, or a fused element-wise node whose body is exactly
 * a clip ({@code min(max(x, lo), hi)}: ReLU6 and friends) or the hard-swish that exporters spell
 * out ({@code x · min(max(x + 3, 0), 6) / 6}, PaddleOCR's and PyTorch's decomposition). The match is
 * on the ops and their order, so the kernel computes the same float operations the fused loop would.
 */
final class ConvEpilogues {
    private ConvEpilogues() {}

    /** The activation and its clip bounds. */
    record Match(String activation, float lo, float hi) {}

    /** A conv the runtime's Conv2d runs (2-D, f32): the only one that takes an epilogue. */
    static boolean isConv2d(Node n) {
        return n.op().equals("conv")
                && !n.isFused()
                && n.output().dtype() == DType.F32
                && n.input(0).type().rank() == 4;
    }

    /** What {@code next}, the only reader of the conv's output {@code x}, computes from it, or null. */
    static Match match(Graph g, Node next, Value x) {
        if (!next.output().type().equals(x.type())) {
            return null;
        }
        if (next.op().equals("relu") && !next.isFused()) {
            return new Match("RELU", 0f, 0f);
        }
        if (!next.isFused()
                || !next.fusedKind().equals("elementwise")
                || next.outputs().size() != 1) {
            return null;
        }
        List<Value> params = next.body().params();
        Value p = null;
        float[] scalars = new float[params.size()];
        for (int i = 0; i < params.size(); i++) {
            Value outer = next.input(i);
            if (outer == x) {
                p = params.get(i);
                continue;
            }
            Float c = scalar(g, outer);
            if (c == null) {
                return null;
            }
            scalars[i] = c;
        }
        if (p == null || next.body().results().size() != 1) {
            return null;
        }
        List<Node> ops = next.body().nodes();
        Value result = next.body().results().getFirst();
        if (ops.isEmpty() || ops.getLast().output() != result) {
            return null;
        }
        Body b = new Body(ops, params, scalars, p);
        if (ops.size() == 2 && b.op(0, "max", p) && b.op(1, "min", ops.get(0).output())) {
            float lo = b.constant(0);
            float hi = b.constant(1);
            // Infinite bounds would not print as Java literals; such a "clip" is a max or a min.
            return Float.isFinite(lo) && Float.isFinite(hi) ? new Match("CLIP", lo, hi) : null;
        }
        if (ops.size() == 1 && ops.get(0).op().equals("relu") && ops.get(0).input(0) == p) {
            return new Match("RELU", 0f, 0f);
        }
        if (ops.size() == 5
                && b.op(0, "add", p)
                && b.constant(0) == 3f
                && b.op(1, "max", ops.get(0).output())
                && b.constant(1) == 0f
                && b.op(2, "min", ops.get(1).output())
                && b.constant(2) == 6f
                && ops.get(3).op().equals("mul")
                && ops.get(3).input(0) == p
                && ops.get(3).input(1) == ops.get(2).output()
                && b.op(4, "div", ops.get(3).output())
                && b.constant(4) == 6f) {
            return new Match("HARD_SWISH", 0f, 0f);
        }
        return null;
    }

    /** A fused body's ops, its parameters and the scalar constant each non-{@code x} parameter binds. */
    private record Body(List<Node> ops, List<Value> params, float[] scalars, Value x) {
        /** Op {@code i} is a binary {@code name(first, scalar parameter)}. */
        boolean op(int i, String name, Value first) {
            Node n = ops.get(i);
            return n.op().equals(name)
                    && !n.isFused()
                    && n.inputs().size() == 2
                    && n.input(0) == first
                    && params.indexOf(n.input(1)) >= 0
                    && n.input(1) != x;
        }

        float constant(int i) {
            return scalars[params.indexOf(ops.get(i).input(1))];
        }
    }

    /** The value of a one-element f32 constant, or null. */
    private static Float scalar(Graph g, Value v) {
        if (v.dtype() != DType.F32
                || !v.type().isStatic()
                || v.type().elementCount().value() != 1) {
            return null;
        }
        Constant c = g.constantOf(v);
        if (c == null || !g.weights().contains(c.weight())) {
            return null;
        }
        WeightData d = g.weights().get(c.weight());
        return d.view().getFloat(0);
    }
}
