package fsc.passes;

import static fsc.passes.TestGraphs.attrs;
import static fsc.passes.TestGraphs.i64;
import static fsc.passes.TestGraphs.i64Scalar;
import static fsc.passes.TestGraphs.none;
import static fsc.passes.TestGraphs.scalar;
import static fsc.passes.TestGraphs.type;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import java.util.List;
import java.util.Random;

/**
 * A one-layer BERT encoder built node for node the way the all-MiniLM-L6-v2 ONNX export spells it,
 * at toy sizes (hidden 8, 2 heads of 4, FFN 16, vocabulary 10): embeddings with position ids sliced
 * to the run-time sequence length, LayerNorm decomposed into reduce_mean/sub/pow/sqrt/div/mul/add,
 * every head reshape fed by its own {@code Shape → Gather → Unsqueeze → Concat} chain, the additive
 * attention mask from {@code attention_mask} (unsqueeze, cast, sub, mul) and erf-GELU. It is what
 * {@code fold}, {@code cse} and {@code dce} must reduce to straight-line compute.
 */
final class MiniBert {
    static final int HIDDEN = 8;
    static final int HEADS = 2;
    static final int HEAD_DIM = HIDDEN / HEADS;
    static final int FFN = 16;
    static final int VOCAB = 10;
    static final int MAX_POSITIONS = 16;

    private final GraphBuilder b = new GraphBuilder("mini_bert").symbol("B", 4).symbol("S", MAX_POSITIONS);
    private final Random random = new Random(42);
    private int constants;

    private MiniBert() {}

    static Graph build() {
        return new MiniBert().graph();
    }

    /** Token ids within the vocabulary, token types 0/1 and a mask that pads the second sequence. */
    static java.util.Map<String, HostTensor> inputs(int batch, int seq) {
        long[] shape = {batch, seq};
        long[] ids = new long[batch * seq];
        long[] types = new long[batch * seq];
        long[] mask = new long[batch * seq];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 7 + 3) % VOCAB;
            types[i] = (i / seq) % 2;
            mask[i] = i / seq == 1 && i % seq >= seq - 2 ? 0 : 1;
        }
        return java.util.Map.of(
                "input_ids", HostTensor.ofLongs(shape, ids),
                "token_type_ids", HostTensor.ofLongs(shape, types),
                "attention_mask", HostTensor.ofLongs(shape, mask));
    }

    private Graph graph() {
        Value ids = b.input("input_ids", type(DType.I64, "B", "S"));
        Value mask = b.input("attention_mask", type(DType.I64, "B", "S"));
        Value types = b.input("token_type_ids", type(DType.I64, "B", "S"));
        Value h = embeddings(ids, types);
        h = attention(h, mask);
        h = feedForward(h);
        return b.output(h).build();
    }

    private Value embeddings(Value ids, Value types) {
        Value word = gather(weight("word_embeddings", VOCAB, HIDDEN), ids);
        Value type = gather(weight("token_type_embeddings", 2, HIDDEN), types);
        long[] positions = new long[MAX_POSITIONS];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i;
        }
        Value positionIds = b.constant(
                "position_ids",
                HostTensor.ofLongs(new long[] {1, MAX_POSITIONS}, positions).toWeight());
        Value seqLen = unsqueeze0(dimOf(ids, 1));
        Value sliced = node("slice", List.of(positionIds, i64Const(0), seqLen, i64Const(1)));
        Value position = gather(weight("position_embeddings", MAX_POSITIONS, HIDDEN), sliced);
        Value sum = node("add", List.of(node("add", List.of(word, type)), position));
        return layerNorm(sum, "embeddings", true);
    }

    private Value attention(Value h, Value mask) {
        Value q = heads(linear(h, "query", HIDDEN, HIDDEN), 0, 2, 1, 3);
        Value k = heads(linear(h, "key", HIDDEN, HIDDEN), 0, 2, 3, 1);
        Value v = heads(linear(h, "value", HIDDEN, HIDDEN), 0, 2, 1, 3);
        Value scores = node("div", List.of(node("matmul", List.of(q, k)), b.constant(name("scale"), scalar(2f))));
        Value m = unsqueeze(unsqueeze(mask, 1), 2);
        Value mf = node("cast", List.of(m), attrs("to", new Attr.Type(DType.F32)));
        Value inverted = node("sub", List.of(b.constant(name("one"), scalar(1f)), mf));
        Value additive = node("mul", List.of(inverted, b.constant(name("neg_big"), scalar(-10000f))));
        Value probs = node("softmax", List.of(node("add", List.of(scores, additive))), attrs("axis", Attr.of(-1L)));
        Value context = node("matmul", List.of(probs, v));
        Value merged = node("transpose", List.of(context), attrs("perm", Attr.ints(0, 2, 1, 3)));
        Value target = node(
                "concat",
                List.of(unsqueeze0(dimOf(merged, 0)), unsqueeze0(dimOf(merged, 1)), i64Const(HIDDEN)),
                attrs("axis", Attr.of(0L)));
        Value flat = node("reshape", List.of(merged, target));
        Value out = linear(flat, "attention_output", HIDDEN, HIDDEN);
        return layerNorm(node("add", List.of(out, h)), "attention", false);
    }

    private Value feedForward(Value h) {
        Value up = linear(h, "intermediate", HIDDEN, FFN);
        Value erf = node("erf", List.of(node("div", List.of(up, b.constant(name("sqrt2"), scalar(1.4142135f))))));
        Value gate = node("add", List.of(erf, b.constant(name("one"), scalar(1f))));
        Value gelu = node("mul", List.of(node("mul", List.of(up, gate)), b.constant(name("half"), scalar(0.5f))));
        Value down = linear(gelu, "output", FFN, HIDDEN);
        Value normalized = layerNorm(node("add", List.of(down, h)), "output", false);
        // The export names the encoder's result after the model output; an identity carries the name.
        return b.node("identity", "last_hidden_state", List.of(normalized), none());
    }

    /**
     * {@code [B,S,H] → [B,S,heads,dim] → transpose(perm)}; the target shape is computed from
     * {@code shape(x)} at run time, as the export does for every head reshape.
     */
    private Value heads(Value x, long... perm) {
        Value target = node(
                "concat",
                List.of(unsqueeze0(dimOf(x, 0)), unsqueeze0(dimOf(x, 1)), i64Const(HEADS), i64Const(HEAD_DIM)),
                attrs("axis", Attr.of(0L)));
        Value split = node("reshape", List.of(x, target));
        return node("transpose", List.of(split), attrs("perm", Attr.ints(perm)));
    }

    /**
     * LayerNorm as exported by torch before opset 17: {@code (x - mean) / sqrt(var + eps) * g + b}.
     * {@code axesOperand} picks the opset-18 form (axes as an operand) over the attribute form.
     */
    private Value layerNorm(Value x, String prefix, boolean axesOperand) {
        Value mean = reduceMean(x, axesOperand);
        Value centered = node("sub", List.of(x, mean));
        Value squared = node("pow", List.of(centered, b.constant(name("two"), scalar(2f))));
        Value variance = reduceMean(squared, axesOperand);
        Value std = node("sqrt", List.of(node("add", List.of(variance, b.constant(name("eps"), scalar(1e-12f))))));
        Value normalized = node("div", List.of(centered, std));
        Value scaled = node("mul", List.of(normalized, weight(prefix + ".LayerNorm.weight", HIDDEN)));
        return node("add", List.of(scaled, weight(prefix + ".LayerNorm.bias", HIDDEN)));
    }

    private Value reduceMean(Value x, boolean axesOperand) {
        return axesOperand
                ? node("reduce_mean", List.of(x, i64Const(-1)))
                : node("reduce_mean", List.of(x), attrs("axes", Attr.ints(-1)));
    }

    private Value linear(Value x, String prefix, int in, int out) {
        Value mm = node("matmul", List.of(x, weight(prefix + ".weight", in, out)));
        return node("add", List.of(weight(prefix + ".bias", out), mm));
    }

    /** {@code gather(shape(x), i)}: a fresh shape node each time, as in the export. */
    private Value dimOf(Value x, long i) {
        Value shape = node("shape", List.of(x));
        return node("gather", List.of(shape, b.constant(name("idx"), i64Scalar(i))), attrs("axis", Attr.of(0L)));
    }

    private Value unsqueeze0(Value scalar) {
        return unsqueeze(scalar, 0);
    }

    private Value unsqueeze(Value x, long axis) {
        return node("unsqueeze", List.of(x, i64Const(axis)));
    }

    private Value gather(Value table, Value indices) {
        return node("gather", List.of(table, indices), attrs("axis", Attr.of(0L)));
    }

    private Value i64Const(long v) {
        return b.constant(name("c"), i64(v));
    }

    /** Weights uniform in [-0.5, 0.5), deterministic. */
    private Value weight(String weightName, long... shape) {
        HostTensor t = HostTensor.zeros(DType.F32, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setDouble(i, random.nextDouble() - 0.5);
        }
        WeightData w = t.toWeight();
        return b.constant(weightName, w);
    }

    private Value node(String op, List<Value> inputs) {
        return node(op, inputs, none());
    }

    private Value node(String op, List<Value> inputs, java.util.Map<String, Attr> attrs) {
        return b.node(op, name(op), inputs, attrs);
    }

    /** Unique names, numbered in creation order, like an exporter's {@code /encoder/Shape_3}. */
    private String name(String base) {
        return base + "_" + constants++;
    }
}
