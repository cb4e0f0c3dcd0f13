package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ONNX Attention (opsets 23 and 24) written out as its function body does it:
 *
 * <pre>
 *   Q, K, V (3-D inputs split into heads) → K, V after past → grouped-query heads repeated
 *   → (Q·√scale)(K·√scale)ᵀ → softcap → + bias (mask, causal, kv padding) → softmax
 *   (rows with no visible key give 0, not NaN) → · V → heads merged for 3-D inputs
 * </pre>
 *
 * {@code qk_matmul_output_mode} 0..3 picks the scores after the matmul, the softcap, the bias and
 * the softmax, in that order. The causal bias is aligned to the lower right when there is a past ({@code row + past < col} is
 * masked) and, with {@code nonpad_kv_seqlen}, to each batch row's valid length.
 */
final class AttentionConverter {
    private AttentionConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("Attention", 23, AttentionConverter::convert));
    }

    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    private static void convert(NodeContext c) {
        Value q = c.input(0);
        Value k = c.input(1);
        Value v = c.input(2);
        Value mask = c.optionalInput(3).orElse(null);
        Value pastK = c.optionalInput(4).orElse(null);
        Value pastV = c.optionalInput(5).orElse(null);
        Value nonpad = c.optionalInput(6).orElse(null);
        // f16 and bf16 attention runs in f32 and rounds once at the end, as the widen-halves pass
        // runs the other f32-only ops: the decomposition below has f32 constants, and its
        // intermediate scores would lose most of their bits rounded to a half type step by step.
        DType half = q.dtype() == DType.F16 || q.dtype() == DType.BF16 ? q.dtype() : null;
        if (half != null) {
            q = widen(c, q, half, "q");
            k = widen(c, k, half, "k");
            v = widen(c, v, half, "v");
            mask = mask == null ? null : widen(c, mask, half, "mask");
            pastK = pastK == null ? null : widen(c, pastK, half, "past_k");
            pastV = pastV == null ? null : widen(c, pastV, half, "past_v");
        } else if (q.dtype() != DType.F32) {
            throw c.fail("computes in f32, f16 or bf16, got " + q.type());
        }
        boolean threeD = q.type().rank() == 3;
        if (threeD) {
            long qh = c.attrs.intValue("q_num_heads").orElseThrow(() -> c.fail("3-D inputs need q_num_heads"));
            long kvh = c.attrs.intValue("kv_num_heads").orElseThrow(() -> c.fail("3-D inputs need kv_num_heads"));
            q = splitHeads(c, q, qh, "q");
            k = splitHeads(c, k, kvh, "k");
            v = splitHeads(c, v, kvh, "v");
        }
        Dim batch = q.type().dim(0);
        Dim qHeads = q.type().dim(1);
        Dim qSeq = q.type().dim(2);
        long headSize = fixed(c, q.type().dim(3));
        double scale = c.attrs.floatValue("scale").orElse(1 / Math.sqrt(headSize));
        Value presentK =
                pastK == null ? k : emit(c, "concat", List.of(pastK, k), Map.of("axis", new Attr.Int(2)), "present_k");
        Value presentV =
                pastV == null ? v : emit(c, "concat", List.of(pastV, v), Map.of("axis", new Attr.Int(2)), "present_v");
        long past = pastK == null ? 0 : fixed(c, pastK.type().dim(2));
        Dim kvSeq = presentK.type().dim(2);

        Value keys = repeatHeads(c, presentK, qHeads, "k");
        Value values = repeatHeads(c, presentV, qHeads, "v");
        Value sqrtScale = ActivationConverters.scalar(c, "sqrt_scale", DType.F32, Math.sqrt(scale));
        Value qs = emit(c, "mul", List.of(q, sqrtScale), Map.of(), "q_scaled");
        Value kt = emit(c, "transpose", List.of(keys), Map.of("perm", Attr.ints(0, 1, 3, 2)), "k_t");
        Value ks = emit(c, "mul", List.of(kt, sqrtScale), Map.of(), "k_scaled");
        Value raw = emit(c, "matmul", List.of(qs, ks), Map.of(), "qk");

        double softcap = c.attrs.floatValue("softcap").orElse(0.0);
        Value capped = raw;
        if (softcap > 0) {
            Value cap = ActivationConverters.scalar(c, "softcap", DType.F32, softcap);
            Value d = emit(c, "div", List.of(raw, cap), Map.of(), "qk_div_cap");
            Value t = emit(c, "tanh", List.of(d), Map.of(), "qk_tanh");
            capped = emit(c, "mul", List.of(t, cap), Map.of(), "qk_capped");
        }

        List<Value> biases = new ArrayList<>();
        if (mask != null) {
            biases.add(maskBias(c, mask, kvSeq));
        }
        boolean causal = c.attrs.intValue("is_causal", 0) != 0;
        if (causal) {
            biases.add(
                    nonpad == null
                            ? staticCausal(c, fixed(c, qSeq), fixed(c, kvSeq), past)
                            : paddedCausal(c, nonpad, fixed(c, qSeq), fixed(c, kvSeq)));
        }
        if (nonpad != null) {
            biases.add(padding(c, nonpad, fixed(c, kvSeq)));
        }
        Value bias = null;
        for (Value b : biases) {
            bias = bias == null ? b : emit(c, "add", List.of(bias, b), Map.of(), "bias" + biases.indexOf(b));
        }
        Value biased = bias == null ? capped : emit(c, "add", List.of(capped, bias), Map.of(), "qk_biased");
        Value probs = emit(c, "softmax", List.of(biased), Map.of("axis", new Attr.Int(-1)), "probs");
        if (mask != null || nonpad != null) {
            // A row whose keys are all masked has no softmax; ONNX defines its weights as 0.
            Value rowMax = emit(
                    c,
                    "reduce_max",
                    List.of(bias),
                    Map.of("axes", Attr.ints(-1), "keepdims", new Attr.Int(1)),
                    "bias_row_max");
            Value ninf = ActivationConverters.scalar(c, "neg_inf", DType.F32, NEG_INF);
            Value none = emit(c, "equal", List.of(rowMax, ninf), Map.of(), "row_all_masked");
            Value zero = ActivationConverters.scalar(c, "zero", DType.F32, 0);
            probs = emit(c, "where", List.of(none, zero, probs), Map.of(), "probs_safe");
        }
        Value y = emit(c, "matmul", List.of(probs, values), Map.of(), "y_heads");
        if (threeD) {
            Value yt = emit(c, "transpose", List.of(y), Map.of("perm", Attr.ints(0, 2, 1, 3)), "y_t");
            Dim hidden = yt.type().dim(2).times(yt.type().dim(3));
            y = emit(
                    c,
                    "reshape",
                    List.of(yt),
                    Map.of("shape", new Attr.Dims(List.of(batch, qSeq, hidden))),
                    "y_merged");
        }
        output(c, 0, y, half);
        output(c, 1, presentK, half);
        output(c, 2, presentV, half);
        long mode = c.attrs.intValue("qk_matmul_output_mode", 0);
        Value qkOut =
                switch ((int) mode) {
                    case 0 -> raw;
                    case 1 -> capped;
                    case 2 -> biased;
                    case 3 -> probs;
                    default -> throw c.fail("unknown qk_matmul_output_mode " + mode);
                };
        output(c, 3, qkOut, half);
    }

    /**
     * Defines ONNX output {@code k}, when the node names it, as {@code v} under the output's name:
     * cast back to {@code half} when the node's operands were widened (null: they were f32).
     */
    private static void output(NodeContext c, int k, Value v, DType half) {
        if (c.node.getOutputCount() <= k || c.outputName(k).isEmpty()) {
            return;
        }
        if (half == null) {
            c.define(k, c.emit("identity", List.of(v), Map.of(), c.outputName(k)));
        } else {
            c.define(k, c.emit("cast", List.of(v), Map.of("to", new Attr.Type(half)), c.outputName(k)));
        }
    }

    /** {@code x} as f32 when it has the half type {@code half} (exact); other operands unchanged. */
    private static Value widen(NodeContext c, Value x, DType half, String tag) {
        if (x.dtype() != half) {
            return x;
        }
        return emit(c, "cast", List.of(x), Map.of("to", new Attr.Type(DType.F32)), tag + "_f32");
    }

    private static Value emit(NodeContext c, String op, List<Value> in, Map<String, Attr> attrs, String suffix) {
        return c.emit(op, in, attrs, c.temp(suffix));
    }

    private static long fixed(NodeContext c, Dim d) {
        if (!d.isFixed()) {
            throw c.fail("needs fixed sequence and head sizes, got " + d);
        }
        return d.value();
    }

    /** {@code [B, S, heads*size]} → {@code [B, heads, S, size]}. */
    private static Value splitHeads(NodeContext c, Value x, long heads, String tag) {
        List<Dim> d = x.type().dims();
        Dim size =
                d.get(2).dividedBy(Dim.of(heads)).orElseThrow(() -> c.fail(heads + " heads do not divide " + x.type()));
        Value r = emit(
                c,
                "reshape",
                List.of(x),
                Map.of("shape", new Attr.Dims(List.of(d.get(0), d.get(1), Dim.of(heads), size))),
                tag + "_split");
        return emit(c, "transpose", List.of(r), Map.of("perm", Attr.ints(0, 2, 1, 3)), tag + "_heads");
    }

    /** Each of the kv heads serves {@code qHeads / kvHeads} consecutive query heads (repeat, not tile). */
    private static Value repeatHeads(NodeContext c, Value x, Dim qHeads, String tag) {
        Dim kvHeads = x.type().dim(1);
        if (kvHeads.equals(qHeads)) {
            return x;
        }
        long reps = fixed(c, qHeads) / fixed(c, kvHeads);
        if (reps * fixed(c, kvHeads) != fixed(c, qHeads)) {
            throw c.fail(qHeads + " query heads are not a multiple of " + kvHeads + " kv heads");
        }
        List<Dim> d = x.type().dims();
        Value u = emit(c, "unsqueeze", List.of(x), Map.of("axes", Attr.ints(2)), tag + "_unsq");
        List<Dim> wide = List.of(d.get(0), kvHeads, Dim.of(reps), d.get(2), d.get(3));
        Value e = emit(c, "expand", List.of(u), Map.of("shape", new Attr.Dims(wide)), tag + "_rep");
        return emit(
                c,
                "reshape",
                List.of(e),
                Map.of("shape", new Attr.Dims(List.of(d.get(0), qHeads, d.get(2), d.get(3)))),
                tag + "_gqa");
    }

    /** A boolean mask becomes 0 / -inf; a mask shorter than the keys is padded with -inf. */
    private static Value maskBias(NodeContext c, Value mask, Dim kvSeq) {
        Value bias = mask;
        if (mask.dtype() == DType.BOOL) {
            Value zero = ActivationConverters.scalar(c, "mask_zero", DType.F32, 0);
            Value ninf = ActivationConverters.scalar(c, "mask_neg_inf", DType.F32, NEG_INF);
            bias = emit(c, "where", List.of(mask, zero, ninf), Map.of(), "mask_bias");
        }
        int rank = bias.type().rank();
        long have = fixed(c, bias.type().dim(rank - 1));
        long want = fixed(c, kvSeq);
        if (have < want) {
            List<Long> dims = new ArrayList<>();
            for (int i = 0; i < rank - 1; i++) {
                dims.add(fixed(c, bias.type().dim(i)));
            }
            dims.add(want - have);
            Value pad = c.constant("mask_pad", filled(dims, NEG_INF));
            bias = emit(c, "concat", List.of(bias, pad), Map.of("axis", new Attr.Int(-1)), "mask_padded");
        }
        return bias;
    }

    /** {@code [q, kv]}: -inf where {@code row + past < col}. */
    private static Value staticCausal(NodeContext c, long q, long kv, long past) {
        ByteBuffer b = ByteBuffer.allocate((int) (q * kv * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < q; i++) {
            for (long j = 0; j < kv; j++) {
                b.putFloat(i + past < j ? Float.NEGATIVE_INFINITY : 0f);
            }
        }
        return c.constant("causal", new WeightData(DType.F32, List.of(q, kv), b.flip()));
    }

    /** Causal with per-batch valid lengths: row {@code i} of batch {@code b} sees columns up to {@code i + len[b] - q}. */
    private static Value paddedCausal(NodeContext c, Value nonpad, long q, long kv) {
        Value rows = c.constant("rows", longs(List.of(1L, 1L, q, 1L), q, 1, 0));
        Value cols = c.constant("cols", longs(List.of(1L, 1L, 1L, kv), kv, 1, 0));
        Value len = emit(
                c,
                "reshape",
                List.of(nonpad),
                Map.of("shape", new Attr.Dims(List.of(nonpad.type().dim(0), Dim.of(1), Dim.of(1), Dim.of(1)))),
                "len4d");
        Value qLen = c.constant("q_len", longs(List.of(), 1, 0, q));
        Value offset = emit(c, "sub", List.of(len, qLen), Map.of(), "causal_offset");
        Value shifted = emit(c, "add", List.of(rows, offset), Map.of(), "rows_shifted");
        Value masked = emit(c, "less", List.of(shifted, cols), Map.of(), "causal_masked");
        Value zero = ActivationConverters.scalar(c, "causal_zero", DType.F32, 0);
        Value ninf = ActivationConverters.scalar(c, "causal_neg_inf", DType.F32, NEG_INF);
        return emit(c, "where", List.of(masked, ninf, zero), Map.of(), "causal_bias");
    }

    /** -inf for key positions at or beyond each batch row's {@code nonpad_kv_seqlen}. */
    private static Value padding(NodeContext c, Value nonpad, long kv) {
        Value cols = c.constant("pad_cols", longs(List.of(1L, 1L, 1L, kv), kv, 1, 0));
        Value len = emit(
                c,
                "reshape",
                List.of(nonpad),
                Map.of("shape", new Attr.Dims(List.of(nonpad.type().dim(0), Dim.of(1), Dim.of(1), Dim.of(1)))),
                "pad_len4d");
        Value valid = emit(c, "less", List.of(cols, len), Map.of(), "pad_valid");
        Value zero = ActivationConverters.scalar(c, "pad_zero", DType.F32, 0);
        Value ninf = ActivationConverters.scalar(c, "pad_neg_inf", DType.F32, NEG_INF);
        return emit(c, "where", List.of(valid, zero, ninf), Map.of(), "pad_bias");
    }

    private static WeightData filled(List<Long> dims, double value) {
        long n = dims.stream().reduce(1L, Math::multiplyExact);
        ByteBuffer b = ByteBuffer.allocate((int) (n * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            b.putFloat((float) value);
        }
        return new WeightData(DType.F32, dims, b.flip());
    }

    /** {@code count} i64 values {@code start, start + step, ...} (count 1 with start {@code value} for a scalar). */
    private static WeightData longs(List<Long> dims, long count, long step, long start) {
        ByteBuffer b = ByteBuffer.allocate((int) (count * 8)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < count; i++) {
            b.putLong(start + i * step);
        }
        return new WeightData(DType.I64, dims, b.flip());
    }
}
