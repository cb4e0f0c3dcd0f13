package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * LinearAttention (opset 27) unrolled over its fixed number of steps. Per step, with state {@code S}
 * {@code [B, Hkv, dk, dv]}, key {@code k}, value {@code v}, log-decay {@code g} (per key channel or per
 * head) and write strength {@code β} (per head or one per token):
 *
 * <ul>
 *   <li>linear: {@code S += k ⊗ v}
 *   <li>gated: {@code S = exp(g) S + k ⊗ v}
 *   <li>delta: {@code S += β k ⊗ (v - Sᵀk)}
 *   <li>gated_delta (default): {@code S' = exp(g) S; S = S' + β k ⊗ (v - S'ᵀk)}
 * </ul>
 *
 * and the output of each query head is {@code scale · qᵀ S} with the state of its KV group (query
 * heads {@code h·G .. h·G+G-1} share KV head h). Outer products and {@code qᵀS} are batched matmuls.
 */
final class LinearAttentionConverter {
    private LinearAttentionConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("LinearAttention", 27, LinearAttentionConverter::convert));
    }

    private static void convert(NodeContext c) {
        long hq = c.attrs.intValue("q_num_heads").orElseThrow(() -> c.fail("needs attribute 'q_num_heads'"));
        long hkv = c.attrs.intValue("kv_num_heads").orElseThrow(() -> c.fail("needs attribute 'kv_num_heads'"));
        String rule = c.attrs.string("update_rule").orElse("gated_delta");
        if (!List.of("linear", "gated", "delta", "gated_delta").contains(rule)) {
            throw c.fail("unknown update_rule \"" + rule + "\"");
        }
        boolean gated = rule.startsWith("gated");
        boolean delta = rule.endsWith("delta");
        long[] qs = StaticSelection.fixedShape(c, c.input(0));
        long[] ks = StaticSelection.fixedShape(c, c.input(1));
        long[] vs = StaticSelection.fixedShape(c, c.input(2));
        // f16 and bf16 run in f32 and round once at the end, as the widen-halves pass runs the other
        // f32-only ops: the recurrent state would lose most of its bits rounded step by step.
        DType dtype = c.input(0).type().dtype();
        DType half = dtype == DType.F16 || dtype == DType.BF16 ? dtype : null;
        if (half == null && dtype != DType.F32) {
            throw c.fail("computes in f32, f16 or bf16, got " + c.input(0).type());
        }
        if (hq % hkv != 0 || qs[2] % hq != 0 || ks[2] != qs[2] / hq * hkv) {
            throw c.fail("needs query [B, T, Hq·dk] and key [B, T, Hkv·dk] with Hq a multiple of Hkv, got "
                    + c.input(0).type() + " and " + c.input(1).type());
        }
        long b = qs[0];
        long steps = qs[1];
        long dk = qs[2] / hq;
        long dv = vs[2] / hkv;
        long group = hq / hkv;
        if ((gated && !c.hasInput(4)) || (delta && !c.hasInput(5))) {
            throw c.fail("update_rule \"" + rule + "\" needs " + (gated ? "decay" : "beta"));
        }
        double scale = c.attrs.floatValue("scale").orElse(1 / Math.sqrt(dk));

        // Heads out of the packed last axis, time next to the head data: [B, H, T, d].
        Value q = heads(c, operand(c, 0, half), b, steps, hkv * group, dk, "q");
        Value k = heads(c, operand(c, 1, half), b, steps, hkv, dk, "k");
        Value v = heads(c, operand(c, 2, half), b, steps, hkv, dv, "v");
        Value decay = gated ? perHead(c, operand(c, 4, half), b, steps, hkv, "decay") : null;
        Value beta = delta ? perHead(c, operand(c, 5, half), b, steps, hkv, "beta") : null;
        Value state = c.hasInput(3)
                ? operand(c, 3, half)
                : c.constant(
                        "zero_state",
                        HostTensor.zeros(DType.F32, new long[] {b, hkv, dk, dv}).toWeight());
        Value scaleConst = c.constant(
                "scale", HostTensor.ofFloats(new long[0], (float) scale).toWeight());
        List<Value> outputs = new ArrayList<>();
        for (int t = 0; t < steps; t++) {
            String s = "t" + t + "_";
            Value kt = step(c, k, t, s + "k");
            Value kCol = reshape(c, kt, s + "k_col", b, hkv, dk, 1);
            Value kRow = reshape(c, kt, s + "k_row", b, hkv, 1, dk);
            Value vRow = reshape(c, step(c, v, t, s + "v"), s + "v_row", b, hkv, 1, dv);
            if (gated) {
                // decay is [B, Hkv, T, dk or 1]: exp(g) scales the state's rows (key channels).
                Value g = step(c, decay, t, s + "g");
                long width = decay.type().dim(3).value();
                Value eg = c.emit(
                        "exp", List.of(reshape(c, g, s + "g_col", b, hkv, width, 1)), Map.of(), c.temp(s + "exp_g"));
                state = c.emit("mul", List.of(state, eg), Map.of(), c.temp(s + "decayed"));
            }
            Value write = vRow;
            if (delta) {
                Value recalled = c.emit("matmul", List.of(kRow, state), Map.of(), c.temp(s + "recalled"));
                Value error = c.emit("sub", List.of(vRow, recalled), Map.of(), c.temp(s + "error"));
                Value bt = step(c, beta, t, s + "beta");
                Value bScalar =
                        reshape(c, bt, s + "beta_b", b, beta.type().dim(1).value(), 1, 1);
                write = c.emit("mul", List.of(error, bScalar), Map.of(), c.temp(s + "write"));
            }
            Value outer = c.emit("matmul", List.of(kCol, write), Map.of(), c.temp(s + "outer"));
            state = c.emit("add", List.of(state, outer), Map.of(), c.temp(s + "state"));
            Value qt = reshape(c, step(c, q, t, s + "q"), s + "q_g", b, hkv, group, dk);
            Value o = c.emit("matmul", List.of(qt, state), Map.of(), c.temp(s + "o"));
            Value scaled = c.emit("mul", List.of(o, scaleConst), Map.of(), c.temp(s + "o_scaled"));
            outputs.add(reshape(c, scaled, s + "o_packed", b, 1, hq * dv));
        }
        Value all = outputs.size() == 1
                ? outputs.getFirst()
                : c.emit("concat", outputs, Map.of("axis", new Attr.Int(1)), c.temp("all"));
        c.define(0, result(c, all, half, c.outputName(0)));
        if (c.node.getOutputCount() > 1 && !c.outputName(1).isEmpty()) {
            c.define(1, result(c, state, half, c.outputName(1)));
        }
    }

    /** Input {@code i}, cast to f32 (exactly) when it has the half type {@code half}. */
    private static Value operand(NodeContext c, int i, DType half) {
        Value x = c.input(i);
        if (half == null || x.dtype() != half) {
            return x;
        }
        return c.emit("cast", List.of(x), Map.of("to", new Attr.Type(DType.F32)), c.temp("in" + i + "_f32"));
    }

    /** {@code v} under {@code name}, rounded back to {@code half} when the operands were widened. */
    private static Value result(NodeContext c, Value v, DType half, String name) {
        if (half == null) {
            return c.emit("identity", List.of(v), Map.of(), name);
        }
        return c.emit("cast", List.of(v), Map.of("to", new Attr.Type(half)), name);
    }

    /** [B, T, H·d] → [B, H, T, d]. */
    private static Value heads(NodeContext c, Value x, long b, long t, long h, long d, String name) {
        Value split = reshape(c, x, name + "_split", b, t, h, d);
        return c.emit("transpose", List.of(split), Map.of("perm", Attr.ints(0, 2, 1, 3)), c.temp(name + "_heads"));
    }

    /** A per-head (or per-head-channel, or per-token) gate [B, T, H·w] → [B, H, T, w], w = 1 for one value per head. */
    private static Value perHead(NodeContext c, Value x, long b, long t, long hkv, String name) {
        long[] s = StaticSelection.fixedShape(c, x);
        long heads = s[2] == 1 ? 1 : hkv;
        if (s[2] % heads != 0) {
            throw c.fail(name + " " + x.type() + " holds neither one value per token, per head nor per key channel");
        }
        return heads(c, x, b, t, heads, s[2] / heads, name);
    }

    /** Step t of a [B, H, T, d] tensor: [B, H, d]. */
    private static Value step(NodeContext c, Value x, int t, String name) {
        return c.emit(
                "gather",
                List.of(
                        x,
                        c.constant(
                                name + "_index",
                                HostTensor.ofLongs(new long[0], t).toWeight())),
                Map.of("axis", new Attr.Int(2)),
                c.temp(name));
    }

    private static Value reshape(NodeContext c, Value x, String name, long... shape) {
        return c.emit("reshape", List.of(x), Map.of("shape", StaticSelection.dims(shape)), c.temp(name));
    }
}
