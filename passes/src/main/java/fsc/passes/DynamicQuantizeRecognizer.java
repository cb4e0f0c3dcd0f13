package fsc.passes;

import fsc.ir.DType;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds the ONNX frontend's element-wise DynamicQuantizeLinear (see {@code QuantConverters}) for the
 * {@code quant-gemm} pass, anchored at its final cast to u8:
 *
 * <pre>
 * %lo = min(reduce_min(%x), 0)      %hi = max(reduce_max(%x), 0)
 * %scale = div(sub(%hi, %lo), 255)
 * %zp = min(max(round(neg(div(%lo, %scale))), 0), 255)
 * %y = cast(min(max(add(round(div(%x, %scale)), %zp), 0), 255)) {to = u8}
 *   ⇒
 * %y, %scale, %zp_u8 = dynamic_quantize(%x)
 * </pre>
 *
 * The reductions must cover every axis of x; the literals must be exactly 0 and 255.
 */
final class DynamicQuantizeRecognizer {
    private final PatternGraph pg;
    private final Map<Value, Node> defs;

    DynamicQuantizeRecognizer(PatternGraph pg, Map<Value, Node> defs) {
        this.pg = pg;
        this.defs = defs;
    }

    /** The match: the input x, the scale value, the f32 zero point, and every node of the pattern. */
    record Match(Value x, Value scale, Value zeroPoint, List<Node> nodes) {}

    Match match(Node cast) {
        if (!cast.op().equals("cast") || cast.isFused() || cast.output().dtype() != DType.U8) {
            return null;
        }
        List<Node> nodes = new ArrayList<>(List.of(cast));
        Value shifted = clamped(cast.input(0), nodes);
        Node add = def(shifted, "add", nodes);
        if (add == null) {
            return null;
        }
        Node round = def(add.input(0), "round", nodes);
        Node div = round == null ? null : def(round.input(0), "div", nodes);
        if (div == null) {
            return null;
        }
        Value x = div.input(0);
        Value scale = div.input(1);
        Value zp = add.input(1);
        if (x.dtype() != DType.F32
                || !x.type().dims().equals(cast.output().type().dims())) {
            return null;
        }
        // The zero point: clip(round(-(lo / scale)), 0, 255).
        Value zr = clamped(zp, nodes);
        Node zRound = def(zr, "round", nodes);
        Node neg = zRound == null ? null : def(zRound.input(0), "neg", nodes);
        Node loDiv = neg == null ? null : def(neg.input(0), "div", nodes);
        if (loDiv == null || loDiv.input(1) != scale) {
            return null;
        }
        Value lo = loDiv.input(0);
        // The scale: (hi - lo) / 255 with lo, hi the range of x widened to 0.
        Node scaleDiv = def(scale, "div", nodes);
        if (scaleDiv == null || !isLiteral(scaleDiv.input(1), 255)) {
            return null;
        }
        Node range = def(scaleDiv.input(0), "sub", nodes);
        if (range == null || range.input(1) != lo) {
            return null;
        }
        if (!extreme(lo, "min", "reduce_min", x, nodes) || !extreme(range.input(0), "max", "reduce_max", x, nodes)) {
            return null;
        }
        return new Match(x, scale, zp, nodes);
    }

    /** {@code v = min(max(inner, 0), 255)}: returns inner. */
    private Value clamped(Value v, List<Node> nodes) {
        Node hi = def(v, "min", nodes);
        if (hi == null || !isLiteral(hi.input(1), 255)) {
            return null;
        }
        Node low = def(hi.input(0), "max", nodes);
        if (low == null || !isLiteral(low.input(1), 0)) {
            return null;
        }
        return low.input(0);
    }

    /** {@code v = op(reduce(x) over all axes, 0)}. */
    private boolean extreme(Value v, String op, String reduce, Value x, List<Node> nodes) {
        Node widen = def(v, op, nodes);
        if (widen == null || !isLiteral(widen.input(1), 0)) {
            return false;
        }
        Node r = def(widen.input(0), reduce, nodes);
        if (r == null || r.input(0) != x || r.inputs().size() != 1 || r.intAttr("keepdims") != 0) {
            return false;
        }
        long[] axes = r.has("axes") ? r.intsAttr("axes") : null;
        int rank = x.type().rank();
        if (axes == null || axes.length != rank) {
            return false;
        }
        boolean[] seen = new boolean[rank];
        for (long a : axes) {
            int i = (int) (a < 0 ? a + rank : a);
            if (i < 0 || i >= rank || seen[i]) {
                return false;
            }
            seen[i] = true;
        }
        return r.output().type().equals(TensorType.of(DType.F32));
    }

    private Node def(Value v, String op, List<Node> nodes) {
        if (v == null) {
            return null;
        }
        Node n = defs.get(v);
        if (n == null || !n.op().equals(op) || n.isFused() || v.dtype() != DType.F32) {
            return null;
        }
        nodes.add(n);
        return n;
    }

    private boolean isLiteral(Value v, double expected) {
        Double d = pg.scalar(v);
        return d != null && d == expected;
    }
}
