package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.frontend.onnx.proto.Onnx.AttributeProto;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * RNN, GRU and LSTM unrolled over their fixed sequence length into matmul and element-wise IR ops,
 * with the equations of the ONNX spec (gate order {@code z r h} for GRU, {@code i o f c} for LSTM,
 * peepholes {@code i o f}). The input projection {@code X·Wᵀ} is one matmul over all steps; each step
 * adds {@code H·Rᵀ} and the biases and applies the gates. Directions forward, reverse and
 * bidirectional and both layouts are supported; the default activations only, no {@code clip}, no
 * LSTM {@code input_forget}, and {@code sequence_lens} (when given) must equal the sequence length.
 */
final class RecurrentConverters {
    private RecurrentConverters() {}

    private enum Kind {
        RNN(1, List.of("tanh")),
        GRU(3, List.of("sigmoid", "tanh")),
        LSTM(4, List.of("sigmoid", "tanh", "tanh"));

        final int gates;
        final List<String> activations;

        Kind(int gates, List<String> activations) {
            this.gates = gates;
            this.activations = activations;
        }
    }

    static void register(List<Rule> rules) {
        // RNN/GRU/LSTM-7 are the first without the legacy 'output_sequence' attribute; 14 added layout.
        rules.add(new Rule("RNN", 7, c -> convert(c, Kind.RNN)));
        rules.add(new Rule("GRU", 7, c -> convert(c, Kind.GRU)));
        rules.add(new Rule("LSTM", 7, c -> convert(c, Kind.LSTM)));
    }

    private static void convert(NodeContext c, Kind kind) {
        checkSupported(c, kind);
        long hidden = c.attrs.intValue("hidden_size").orElseThrow(() -> c.fail("needs attribute 'hidden_size'"));
        boolean batchFirst = c.attrs.intValue("layout", 0) != 0;
        String direction = c.attrs.string("direction").orElse("forward");
        int directions = direction.equals("bidirectional") ? 2 : 1;
        if (!List.of("forward", "reverse", "bidirectional").contains(direction)) {
            throw c.fail("unknown direction \"" + direction + "\"");
        }
        Value x = c.input(0);
        if (x.type().dtype() != DType.F32) {
            throw c.fail("computes in f32 only, got " + x.type());
        }
        if (batchFirst) {
            x = c.emit("transpose", List.of(x), Map.of("perm", Attr.ints(1, 0, 2)), c.temp("x_tbi"));
        }
        long[] xs = StaticSelection.fixedShape(c, x);
        long steps = xs[0];
        long batch = xs[1];
        if (c.hasInput(4)) {
            HostTensor lens = KnownOperands.tensor(c, 4, "sequence_lens");
            for (int i = 0; i < lens.size(); i++) {
                if (lens.getLong(i) != steps) {
                    throw c.fail("sequence_lens shorter than the sequence (" + lens.getLong(i) + " < " + steps
                            + ") are not supported");
                }
            }
        }
        List<Value> ys = new ArrayList<>();
        List<Value> hs = new ArrayList<>();
        List<Value> cs = new ArrayList<>();
        for (int d = 0; d < directions; d++) {
            boolean reverse = direction.equals("reverse") || d == 1;
            Direction dir = new Direction(c, kind, d, hidden, batch, x);
            Value[] perStep = new Value[(int) steps];
            for (int s = 0; s < steps; s++) {
                int t = reverse ? (int) steps - 1 - s : s;
                perStep[t] = dir.step(t);
            }
            List<Value> stacked = new ArrayList<>();
            for (int t = 0; t < steps; t++) {
                stacked.add(reshape(c, perStep[t], "y" + d + "_" + t, 1, 1, batch, hidden));
            }
            ys.add(
                    stacked.size() == 1
                            ? stacked.getFirst()
                            : c.emit("concat", stacked, Map.of("axis", new Attr.Int(0)), c.temp("y" + d)));
            hs.add(reshape(c, dir.h, "h" + d, 1, batch, hidden));
            if (kind == Kind.LSTM) {
                cs.add(reshape(c, dir.cell, "c" + d, 1, batch, hidden));
            }
        }
        // Y [T, D, B, H] (layout 1: [B, T, D, H]); Y_h, Y_c [D, B, H] (layout 1: [B, D, H]).
        output(c, 0, concat(c, ys, 1, "y"), batchFirst ? new long[] {2, 0, 1, 3} : null);
        output(c, 1, concat(c, hs, 0, "y_h"), batchFirst ? new long[] {1, 0, 2} : null);
        if (kind == Kind.LSTM) {
            output(c, 2, concat(c, cs, 0, "y_c"), batchFirst ? new long[] {1, 0, 2} : null);
        }
    }

    private static void checkSupported(NodeContext c, Kind kind) {
        if (c.attrs.floatValue("clip").isPresent()) {
            throw c.fail("the 'clip' attribute is not supported");
        }
        if (kind == Kind.LSTM && c.attrs.intValue("input_forget", 0) != 0) {
            throw c.fail("input_forget = 1 is not supported");
        }
        for (AttributeProto a : c.node.getAttributeList()) {
            if (a.getName().equals("activations")) {
                List<String> given = a.getStringsList().stream()
                        .map(s -> s.toStringUtf8().toLowerCase(Locale.ROOT))
                        .toList();
                int n = kind.activations.size();
                for (int i = 0; i < given.size(); i++) {
                    if (!given.get(i).equals(kind.activations.get(i % n))) {
                        throw c.fail(
                                "only the default activations " + kind.activations + " are supported, got " + given);
                    }
                }
            }
        }
    }

    /** One direction's weights and running state; {@link #step} advances it by one time step. */
    private static final class Direction {
        final NodeContext c;
        final Kind kind;
        final String tag;
        final long hidden;
        final Value projected;
        final Value recurrentT;
        final Value recurrentBias;
        final Value peephole;
        Value h;
        Value cell;

        Direction(NodeContext c, Kind kind, int d, long hidden, long batch, Value x) {
            this.c = c;
            this.kind = kind;
            this.tag = "d" + d + "_";
            this.hidden = hidden;
            Value w = pick(c, c.input(1), d, tag + "w");
            Value r = pick(c, c.input(2), d, tag + "r");
            Value wT = c.emit("transpose", List.of(w), Map.of("perm", Attr.ints(1, 0)), c.temp(tag + "w_t"));
            this.recurrentT = c.emit("transpose", List.of(r), Map.of("perm", Attr.ints(1, 0)), c.temp(tag + "r_t"));
            Value xw = c.emit("matmul", List.of(x, wT), Map.of(), c.temp(tag + "xw"));
            long g = kind.gates * hidden;
            if (c.hasInput(3)) {
                Value b = pick(c, c.input(3), d, tag + "b");
                Value wb = slice(c, b, 0, 0, g, tag + "wb");
                this.projected = c.emit("add", List.of(xw, wb), Map.of(), c.temp(tag + "xw_b"));
                this.recurrentBias = slice(c, b, 0, g, 2 * g, tag + "rb");
            } else {
                this.projected = xw;
                this.recurrentBias = null;
            }
            this.h = initial(c, 5, d, batch, hidden, tag + "h0");
            this.cell = kind == Kind.LSTM ? initial(c, 6, d, batch, hidden, tag + "c0") : null;
            this.peephole = kind == Kind.LSTM && c.hasInput(7) ? pick(c, c.input(7), d, tag + "p") : null;
        }

        /** The hidden state after time step t. */
        Value step(int t) {
            String s = tag + "t" + t + "_";
            Value xt = c.emit(
                    "gather",
                    List.of(
                            projected,
                            c.constant(
                                    s + "index",
                                    HostTensor.ofLongs(new long[0], t).toWeight())),
                    Map.of("axis", new Attr.Int(0)),
                    c.temp(s + "x"));
            Value hr = c.emit("matmul", List.of(h, recurrentT), Map.of(), c.temp(s + "hr"));
            if (recurrentBias != null) {
                hr = c.emit("add", List.of(hr, recurrentBias), Map.of(), c.temp(s + "hr_b"));
            }
            switch (kind) {
                case RNN -> h = unary("tanh", add(xt, hr, s + "pre"), s + "h");
                case GRU -> gru(xt, hr, s);
                case LSTM -> lstm(xt, hr, s);
            }
            return h;
        }

        private void gru(Value xt, Value hr, String s) {
            Value z = unary("sigmoid", add(gate(xt, 0, s + "xz"), gate(hr, 0, s + "hz"), s + "z_pre"), s + "z");
            Value r = unary("sigmoid", add(gate(xt, 1, s + "xr"), gate(hr, 1, s + "hr_r"), s + "r_pre"), s + "r");
            Value candidate;
            if (c.attrs.intValue("linear_before_reset", 0) != 0) {
                // h~ = tanh(Xt·Whᵀ + Wbh + r ⊙ (H·Rhᵀ + Rbh)): hr already holds H·Rᵀ + Rb.
                Value reset = mul(r, gate(hr, 2, s + "hh"), s + "reset");
                candidate = unary("tanh", add(gate(xt, 2, s + "xh"), reset, s + "h_pre"), s + "h_tilde");
            } else {
                // h~ = tanh(Xt·Whᵀ + Wbh + (r ⊙ H)·Rhᵀ + Rbh).
                Value rh = mul(r, h, s + "rh");
                Value rhRT = c.emit(
                        "matmul",
                        List.of(rh, slice(c, recurrentT, 1, 2 * hidden, 3 * hidden, s + "rh_t")),
                        Map.of(),
                        c.temp(s + "rh_r"));
                if (recurrentBias != null) {
                    rhRT = add(rhRT, slice(c, recurrentBias, 0, 2 * hidden, 3 * hidden, s + "rbh"), s + "rh_rb");
                }
                candidate = unary("tanh", add(gate(xt, 2, s + "xh"), rhRT, s + "h_pre"), s + "h_tilde");
            }
            // H = (1 - z) ⊙ h~ + z ⊙ H = h~ + z ⊙ (H - h~).
            h = add(candidate, mul(z, sub(h, candidate, s + "diff"), s + "keep"), s + "h");
        }

        private void lstm(Value xt, Value hr, String s) {
            Value pre = add(xt, hr, s + "pre");
            Value i = gate(pre, 0, s + "i_pre");
            Value o = gate(pre, 1, s + "o_pre");
            Value f = gate(pre, 2, s + "f_pre");
            Value g = gate(pre, 3, s + "c_pre");
            if (peephole != null) {
                i = add(i, mul(slice(c, peephole, 0, 0, hidden, s + "pi"), cell, s + "pi_c"), s + "i_peep");
                f = add(
                        f,
                        mul(slice(c, peephole, 0, 2 * hidden, 3 * hidden, s + "pf"), cell, s + "pf_c"),
                        s + "f_peep");
            }
            Value ig = unary("sigmoid", i, s + "i");
            Value fg = unary("sigmoid", f, s + "f");
            Value candidate = unary("tanh", g, s + "c_tilde");
            cell = add(mul(fg, cell, s + "f_c"), mul(ig, candidate, s + "i_c"), s + "c");
            if (peephole != null) {
                o = add(o, mul(slice(c, peephole, 0, hidden, 2 * hidden, s + "po"), cell, s + "po_c"), s + "o_peep");
            }
            Value og = unary("sigmoid", o, s + "o");
            h = mul(og, unary("tanh", cell, s + "c_tanh"), s + "h");
        }

        private Value gate(Value v, int k, String name) {
            return slice(c, v, 1, k * hidden, (k + 1) * hidden, name);
        }

        private Value add(Value a, Value b, String name) {
            return c.emit("add", List.of(a, b), Map.of(), c.temp(name));
        }

        private Value sub(Value a, Value b, String name) {
            return c.emit("sub", List.of(a, b), Map.of(), c.temp(name));
        }

        private Value mul(Value a, Value b, String name) {
            return c.emit("mul", List.of(a, b), Map.of(), c.temp(name));
        }

        private Value unary(String op, Value a, String name) {
            return c.emit(op, List.of(a), Map.of(), c.temp(name));
        }
    }

    /** Direction d of a per-direction operand [D, ...] → [...]. */
    private static Value pick(NodeContext c, Value v, int d, String name) {
        return c.emit(
                "gather",
                List.of(
                        v,
                        c.constant(
                                name + "_index",
                                HostTensor.ofLongs(new long[0], d).toWeight())),
                Map.of("axis", new Attr.Int(0)),
                c.temp(name));
    }

    /** The initial state of direction d from input {@code input} ([D, B, H]), or zeros. */
    private static Value initial(NodeContext c, int input, int d, long batch, long hidden, String name) {
        if (c.hasInput(input)) {
            return pick(c, c.input(input), d, name);
        }
        return c.constant(
                name, HostTensor.zeros(DType.F32, new long[] {batch, hidden}).toWeight());
    }

    private static Value slice(NodeContext c, Value v, int axis, long from, long to, String name) {
        return c.emit(
                "slice",
                List.of(v),
                Map.of(
                        "starts", StaticSelection.dims(from),
                        "ends", StaticSelection.dims(to),
                        "axes", Attr.ints(axis)),
                c.temp(name));
    }

    private static Value reshape(NodeContext c, Value v, String name, long... shape) {
        return c.emit("reshape", List.of(v), Map.of("shape", StaticSelection.dims(shape)), c.temp(name));
    }

    private static Value concat(NodeContext c, List<Value> parts, int axis, String name) {
        return parts.size() == 1
                ? parts.getFirst()
                : c.emit("concat", parts, Map.of("axis", new Attr.Int(axis)), c.temp(name + "_all"));
    }

    /** Defines ONNX output k (when the node names it) as {@code v}, transposed by {@code perm} when given. */
    private static void output(NodeContext c, int k, Value v, long[] perm) {
        if (c.node.getOutputCount() <= k || c.outputName(k).isEmpty()) {
            return;
        }
        Value out = perm == null
                ? c.emit("identity", List.of(v), Map.of(), c.outputName(k))
                : c.emit("transpose", List.of(v), Map.of("perm", Attr.ints(perm)), c.outputName(k));
        c.define(k, out);
    }
}
