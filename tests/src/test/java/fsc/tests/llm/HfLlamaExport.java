package fsc.tests.llm;

import static fsc.tests.OnnxProtos.intAttr;
import static fsc.tests.OnnxProtos.ints;

import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufMetadata;
import fsc.frontend.gguf.GgufTensorInfo;
import fsc.frontend.onnx.proto.Onnx;
import fsc.frontend.onnx.proto.Onnx.TensorProto.DataType;
import fsc.runtime.quant.Dequantize;
import fsc.runtime.quant.GgmlType;
import fsc.tests.OnnxProtos;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A LLaMA GGUF written back as the ONNX decoder step Hugging Face's exporter writes for {@code
 * LlamaForCausalLM} with past KV ({@code decoder_with_past_model.onnx}): inputs {@code input_ids,
 * attention_mask, position_ids, past_key_values.N.key/value}, outputs {@code logits,
 * present.N.key/value}, the dims named as that exporter names them ({@code past_sequence_length +
 * sequence_length}), and the graph as {@code torch.onnx} traces the eager modules: RMSNorm as
 * Pow/ReduceMean/Sqrt/Div, rotary embeddings computed from the position ids with {@code
 * rotate_half} as Slice/Neg/Concat, grouped KV heads repeated by Unsqueeze/Expand/Reshape, the 4-d
 * causal mask built from {@code attention_mask} with Range/Greater/Where and added to the scores,
 * SwiGLU, and reshape targets computed from Shape.
 *
 * <p>No package reachable here ships such an export (docs/LLM.md), so the tests make one from a
 * real trained model. GGUF stores q and k rows permuted for llama.cpp's adjacent-pair rope; the
 * export undoes that, so it holds the weights as the Hugging Face checkpoint does, and its logits
 * are the model's.
 */
final class HfLlamaExport {
    private static final float MASK_MIN = -3.4028235e38f;

    private final Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder();
    private final GgufFile f;
    private final Form form;
    private final int dim;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int layers;
    private final int vocab;
    private final float eps;
    private final float ropeBase;

    private HfLlamaExport(GgufFile f, Form form) {
        this.f = f;
        this.form = form;
        GgufMetadata m = f.metadata();
        dim = m.getInt("llama.embedding_length");
        heads = m.getInt("llama.attention.head_count");
        kvHeads = m.getInt("llama.attention.head_count_kv", heads);
        headDim = dim / heads;
        layers = m.getInt("llama.block_count");
        eps = m.getFloat("llama.attention.layer_norm_rms_epsilon");
        ropeBase = m.getFloat("llama.rope.freq_base", 10000f);
        vocab = (int) (f.tensor("token_embd.weight").elementCount() / dim);
    }

    /** Writes {@code gguf}'s model to {@code out} (opset 17) and returns {@code out}. */
    /**
     * Which of the exporter's forms to write.
     *
     * @param sdpa attention as {@code torch.onnx} writes {@code scaled_dot_product_attention} (the
     *     scale's square root on q and on kᵀ) rather than the eager modules' division of the scores
     * @param merged {@code decoder_model_merged.onnx}: the step inside an {@code If} on a {@code
     *     use_cache_branch} input, its else branch the same step under other names
     */
    record Form(boolean sdpa, boolean merged) {
        static final Form EAGER = new Form(false, false);
        static final Form SDPA_MERGED = new Form(true, true);
    }

    static Path write(Path gguf, Path out) throws IOException {
        return write(gguf, out, Form.EAGER);
    }

    static Path write(Path gguf, Path out, Form form) throws IOException {
        Onnx.ModelProto model;
        try (GgufFile f = GgufFile.open(gguf)) {
            HfLlamaExport e = new HfLlamaExport(f, form);
            model = e.build();
            if (form.merged()) {
                model = e.merged(model);
            }
        }
        try (OutputStream o = Files.newOutputStream(out)) {
            model.writeTo(o);
        }
        return out;
    }

    private Onnx.ModelProto build() {
        g.setName("main_graph");
        g.addInput(OnnxProtos.symbolicTyped("input_ids", DataType.INT64_VALUE, "batch_size", "sequence_length"));
        g.addInput(OnnxProtos.symbolicTyped(
                "attention_mask", DataType.INT64_VALUE, "batch_size", "past_sequence_length + sequence_length"));
        g.addInput(OnnxProtos.symbolicTyped("position_ids", DataType.INT64_VALUE, "batch_size", "sequence_length"));
        for (int l = 0; l < layers; l++) {
            for (String kv : List.of("key", "value")) {
                g.addInput(OnnxProtos.symbolic(
                        "past_key_values." + l + "." + kv, "batch_size", kvHeads, "past_sequence_length", headDim));
            }
        }
        g.addOutput(OnnxProtos.symbolic("logits", "batch_size", "sequence_length", vocab));

        String shapeIds = node("Shape", "/model/Shape", "input_ids");
        String batch = node("Gather", "/model/Gather", shapeIds, i64("/model/Constant_0", 0), ints0("axis"));
        String seq = node("Gather", "/model/Gather_1", shapeIds, i64("/model/Constant_1", 1), ints0("axis"));
        String shapePast = node("Shape", "/model/Shape_1", "past_key_values.0.key");
        String past = node("Gather", "/model/Gather_2", shapePast, i64("/model/Constant_2", 2), ints0("axis"));
        String mask = causalMask(batch, seq, past);
        String[] rope = rotary();

        String x = node(
                "Gather",
                "/model/embed_tokens/Gather",
                weight("model.embed_tokens.weight", "token_embd.weight", false),
                "input_ids",
                ints0("axis"));
        for (int l = 0; l < layers; l++) {
            x = layer(l, x, batch, seq, mask, rope);
        }
        String h = rmsNorm("/model/norm", x, "output_norm.weight", "model.norm.weight");
        String head = f.findTensor("output.weight").isPresent() ? "output.weight" : "token_embd.weight";
        nodeTo("MatMul", "/lm_head/MatMul", "logits", h, weight("lm_head.weight", head, true));
        return OnnxProtos.model(g, 8, 17);
    }

    /**
     * The step as the merged export holds it: the graph's nodes move into the then branch of an
     * {@code If} on {@code use_cache_branch}; the else branch is a copy with its own value names
     * (names are unique across a model's subgraphs). Both read the graph's inputs and initializers
     * from the outer scope, and the graph's outputs are the {@code If}'s.
     */
    private Onnx.ModelProto merged(Onnx.ModelProto step) {
        Onnx.GraphProto s = step.getGraph();
        java.util.Set<String> produced = new java.util.HashSet<>();
        s.getNodeList().forEach(n -> produced.addAll(n.getOutputList()));
        Onnx.GraphProto.Builder then =
                Onnx.GraphProto.newBuilder().setName("then").addAllNode(s.getNodeList());
        Onnx.GraphProto.Builder other = Onnx.GraphProto.newBuilder().setName("else");
        for (Onnx.NodeProto n : s.getNodeList()) {
            Onnx.NodeProto.Builder c =
                    n.toBuilder().setName("else" + n.getName()).clearInput().clearOutput();
            n.getInputList().forEach(i -> c.addInput(produced.contains(i) ? "else/" + i : i));
            n.getOutputList().forEach(o -> c.addOutput("else/" + o));
            other.addNode(c);
        }
        Onnx.NodeProto.Builder branch = Onnx.NodeProto.newBuilder()
                .setOpType("If")
                .setName("optimum::if")
                .addInput("use_cache_branch");
        for (Onnx.ValueInfoProto out : s.getOutputList()) {
            then.addOutput(out);
            other.addOutput(out.toBuilder().setName("else/" + out.getName()));
            branch.addOutput(out.getName());
        }
        branch.addAttribute(Onnx.AttributeProto.newBuilder()
                .setName("then_branch")
                .setType(Onnx.AttributeProto.AttributeType.GRAPH)
                .setG(then));
        branch.addAttribute(Onnx.AttributeProto.newBuilder()
                .setName("else_branch")
                .setType(Onnx.AttributeProto.AttributeType.GRAPH)
                .setG(other));
        Onnx.GraphProto.Builder top = s.toBuilder().clearNode().addNode(branch);
        top.addInput(OnnxProtos.typed("use_cache_branch", DataType.BOOL_VALUE, 1));
        return step.toBuilder().setGraph(top).build();
    }

    /**
     * {@code _prepare_4d_causal_attention_mask}: {@code [B,1,S,P+S]}, 0 where a query row may look
     * and the float minimum where the key is in its future or padded out in {@code attention_mask}.
     */
    private String causalMask(String batch, String seq, String past) {
        String p = "/model/mask";
        String total = node("Add", p + "/Add", past, seq);
        String zero = i64(p + "/zero", 0);
        String one = i64(p + "/one", 1);
        String rows = node("Add", p + "/Add_1", node("Range", p + "/Range", zero, seq, one), past);
        String rows2 = node("Unsqueeze", p + "/Unsqueeze", rows, i64s(p + "/axes_1", 1));
        String cols = node(
                "Unsqueeze",
                p + "/Unsqueeze_1",
                node("Range", p + "/Range_1", zero, total, one),
                i64s(p + "/axes_0", 0));
        String future = node("Greater", p + "/Greater", cols, rows2);
        String causal = node("Where", p + "/Where", future, f32(p + "/min", MASK_MIN), f32(p + "/zero_f", 0));
        String causal4 = node("Unsqueeze", p + "/Unsqueeze_2", causal, i64s(p + "/axes_01", 0, 1));
        String padded = node("Equal", p + "/Equal", "attention_mask", i64(p + "/zero_mask", 0));
        String padded4 = node("Unsqueeze", p + "/Unsqueeze_3", padded, i64s(p + "/axes_12", 1, 2));
        return node("Where", p + "/Where_1", padded4, f32(p + "/min_1", MASK_MIN), causal4);
    }

    /** {@code LlamaRotaryEmbedding}: cos and sin {@code [B,1,S,D]} of position × inv_freq, halves repeated. */
    private String[] rotary() {
        String p = "/model/rotary_emb";
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) (1 / Math.pow(ropeBase, 2.0 * i / headDim));
        }
        g.addInitializer(OnnxProtos.floats(p + "/inv_freq", new long[] {1, inv.length, 1}, inv));
        String pos = node(
                "Cast",
                p + "/Cast",
                node("Unsqueeze", p + "/Unsqueeze", "position_ids", i64s(p + "/axes", 1)),
                intAttr("to", DataType.FLOAT_VALUE));
        String freqs = node(
                "Transpose",
                p + "/Transpose",
                node("MatMul", p + "/MatMul", p + "/inv_freq", pos),
                ints("perm", 0, 2, 1));
        String emb = node("Concat", p + "/Concat", freqs, freqs, intAttr("axis", -1));
        String cos = node("Unsqueeze", p + "/Unsqueeze_1", node("Cos", p + "/Cos", emb), i64s(p + "/axes_1", 1));
        String sin = node("Unsqueeze", p + "/Unsqueeze_2", node("Sin", p + "/Sin", emb), i64s(p + "/axes_2", 1));
        return new String[] {cos, sin};
    }

    private String layer(int l, String x, String batch, String seq, String mask, String[] rope) {
        String p = "/model/layers." + l;
        String hf = "model.layers." + l + ".";
        String gg = "blk." + l + ".";
        String h = rmsNorm(p + "/input_layernorm", x, gg + "attn_norm.weight", hf + "input_layernorm.weight");
        String a = p + "/self_attn";
        String q = heads(
                a + "/q",
                linear(a + "/q_proj", h, hf + "self_attn.q_proj.weight", gg + "attn_q.weight", heads),
                batch,
                seq,
                heads);
        String k = heads(
                a + "/k",
                linear(a + "/k_proj", h, hf + "self_attn.k_proj.weight", gg + "attn_k.weight", kvHeads),
                batch,
                seq,
                kvHeads);
        String v = heads(
                a + "/v",
                linear(a + "/v_proj", h, hf + "self_attn.v_proj.weight", gg + "attn_v.weight", 0),
                batch,
                seq,
                kvHeads);
        q = rotate(a + "/q_rot", q, rope);
        k = rotate(a + "/k_rot", k, rope);
        String keys = "present." + l + ".key";
        String values = "present." + l + ".value";
        nodeTo("Concat", a + "/Concat_k", keys, "past_key_values." + l + ".key", k, intAttr("axis", -2));
        nodeTo("Concat", a + "/Concat_v", values, "past_key_values." + l + ".value", v, intAttr("axis", -2));
        g.addOutput(
                OnnxProtos.symbolic(keys, "batch_size", kvHeads, "past_sequence_length + sequence_length", headDim));
        g.addOutput(
                OnnxProtos.symbolic(values, "batch_size", kvHeads, "past_sequence_length + sequence_length", headDim));
        String kr = repeatKv(a + "/repeat_k", keys, batch);
        String vr = repeatKv(a + "/repeat_v", values, batch);
        String kt = node("Transpose", a + "/Transpose_kt", kr, ints("perm", 0, 1, 3, 2));
        String scores;
        if (form.sdpa()) {
            // torch.onnx's scaled_dot_product_attention: sqrt(1/sqrt(D)) on q and on kᵀ, D read from q's shape.
            String d = node(
                    "Cast",
                    a + "/Cast",
                    node(
                            "Slice",
                            a + "/Slice_d",
                            node("Shape", a + "/Shape_q", q),
                            i64s(a + "/d0", -1),
                            i64s(a + "/d1", Long.MAX_VALUE)),
                    intAttr("to", DataType.FLOAT_VALUE));
            String scale = node("Div", a + "/Div_scale", f32(a + "/one", 1), node("Sqrt", a + "/Sqrt", d));
            String half = node("Sqrt", a + "/Sqrt_1", scale);
            scores = node(
                    "MatMul", a + "/MatMul", node("Mul", a + "/Mul_q", q, half), node("Mul", a + "/Mul_k", kt, half));
        } else {
            scores = node("MatMul", a + "/MatMul", q, kt);
            scores = node("Div", a + "/Div", scores, f32(a + "/scale", (float) Math.sqrt(headDim)));
        }
        scores = node("Add", a + "/Add", scores, mask);
        String probs = node("Softmax", a + "/Softmax", scores, intAttr("axis", -1));
        String o = node("MatMul", a + "/MatMul_1", probs, vr);
        o = node("Transpose", a + "/Transpose_o", o, ints("perm", 0, 2, 1, 3));
        String shape = node(
                "Concat",
                a + "/Concat_shape",
                unsqueeze(a + "/b", batch),
                unsqueeze(a + "/s", seq),
                i64s(a + "/dim", dim),
                intAttr("axis", 0));
        o = node("Reshape", a + "/Reshape_o", o, shape);
        x = node(
                "Add",
                p + "/Add",
                x,
                linear(a + "/o_proj", o, hf + "self_attn.o_proj.weight", gg + "attn_output.weight", 0));

        String m = p + "/mlp";
        h = rmsNorm(p + "/post_attention_layernorm", x, gg + "ffn_norm.weight", hf + "post_attention_layernorm.weight");
        String gate = linear(m + "/gate_proj", h, hf + "mlp.gate_proj.weight", gg + "ffn_gate.weight", 0);
        String act = node("Mul", m + "/act_fn/Mul", gate, node("Sigmoid", m + "/act_fn/Sigmoid", gate));
        String up = linear(m + "/up_proj", h, hf + "mlp.up_proj.weight", gg + "ffn_up.weight", 0);
        String down = linear(
                m + "/down_proj",
                node("Mul", m + "/Mul", act, up),
                hf + "mlp.down_proj.weight",
                gg + "ffn_down.weight",
                0);
        return node("Add", p + "/Add_1", x, down);
    }

    private String rmsNorm(String p, String x, String gguf, String hf) {
        String sq = node("Pow", p + "/Pow", x, f32(p + "/two", 2));
        String mean = node("ReduceMean", p + "/ReduceMean", sq, ints("axes", -1), intAttr("keepdims", 1));
        String rstd = node(
                "Div",
                p + "/Div",
                f32(p + "/one", 1),
                node("Sqrt", p + "/Sqrt", node("Add", p + "/Add", mean, f32(p + "/eps", eps))));
        return node("Mul", p + "/Mul_1", weight(hf, gguf, false), node("Mul", p + "/Mul", x, rstd));
    }

    /** {@code x @ Wᵀ} with the GGUF matrix {@code [out, in]} stored as {@code [in, out]}; q and k rows un-permuted. */
    private String linear(String p, String x, String hf, String gguf, int permutedHeads) {
        return node("MatMul", p + "/MatMul", x, weight(hf, gguf, true, permutedHeads));
    }

    /** {@code [B,S,n*D]} to {@code [B,n,S,D]}, the reshape target computed from the input's shape. */
    private String heads(String p, String x, String batch, String seq, int n) {
        String shape = node(
                "Concat",
                p + "/Concat",
                unsqueeze(p + "/b", batch),
                unsqueeze(p + "/s", seq),
                i64s(p + "/hd", n, headDim),
                intAttr("axis", 0));
        return node("Transpose", p + "/Transpose", node("Reshape", p + "/Reshape", x, shape), ints("perm", 0, 2, 1, 3));
    }

    /** {@code x·cos + rotate_half(x)·sin}, {@code rotate_half(x) = concat(-x[..., D/2:], x[..., :D/2])}. */
    private String rotate(String p, String x, String[] rope) {
        long half = headDim / 2;
        String x1 = node(
                "Slice",
                p + "/Slice",
                x,
                i64s(p + "/s0", 0),
                i64s(p + "/e0", half),
                i64s(p + "/ax", -1),
                i64s(p + "/st", 1));
        String x2 = node(
                "Slice",
                p + "/Slice_1",
                x,
                i64s(p + "/s1", half),
                i64s(p + "/e1", Long.MAX_VALUE),
                i64s(p + "/ax1", -1),
                i64s(p + "/st1", 1));
        String rotated = node("Concat", p + "/Concat", node("Neg", p + "/Neg", x2), x1, intAttr("axis", -1));
        return node(
                "Add", p + "/Add", node("Mul", p + "/Mul", x, rope[0]), node("Mul", p + "/Mul_1", rotated, rope[1]));
    }

    /** {@code repeat_kv}: {@code [B,KV,T,D]} to {@code [B,KV*n,T,D]}, each KV head serving n query heads in a row. */
    private String repeatKv(String p, String x, String batch) {
        String shape = node("Shape", p + "/Shape", x);
        String t = node("Gather", p + "/Gather", shape, i64(p + "/two", 2), ints0("axis"));
        String expandTo = node(
                "Concat",
                p + "/Concat",
                unsqueeze(p + "/b", batch),
                i64s(p + "/kv", kvHeads, heads / kvHeads),
                unsqueeze(p + "/t", t),
                i64s(p + "/d", headDim),
                intAttr("axis", 0));
        String expanded =
                node("Expand", p + "/Expand", node("Unsqueeze", p + "/Unsqueeze", x, i64s(p + "/axes", 2)), expandTo);
        String reshapeTo = node(
                "Concat",
                p + "/Concat_1",
                unsqueeze(p + "/b1", batch),
                i64s(p + "/h", heads),
                unsqueeze(p + "/t1", t),
                i64s(p + "/d1", headDim),
                intAttr("axis", 0));
        return node("Reshape", p + "/Reshape", expanded, reshapeTo);
    }

    private String unsqueeze(String p, String scalar) {
        return node("Unsqueeze", p + "/Unsqueeze", scalar, i64s(p + "/axes", 0));
    }

    /** A GGUF tensor as an f32 initializer, transposed to {@code [in, out]} when {@code transpose}. */
    private String weight(String name, String gguf, boolean transpose) {
        return weight(name, gguf, transpose, 0);
    }

    private String weight(String name, String gguf, boolean transpose, int permutedHeads) {
        GgufTensorInfo t = f.tensor(gguf);
        int cols = (int) (long) t.dims().getFirst();
        int rows = (int) (t.elementCount() / cols);
        float[] w = new float[rows * cols];
        Dequantize.row(GgmlType.byId(t.type().id()), f.tensorData(t), 0, w, 0, rows * cols);
        if (permutedHeads > 0) {
            w = unpermute(w, rows, cols, permutedHeads);
        }
        float[] out = w;
        long[] dims = t.dims().size() == 1 ? new long[] {cols} : new long[] {rows, cols};
        if (transpose) {
            out = new float[w.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    out[c * rows + r] = w[r * cols + c];
                }
            }
            dims = new long[] {cols, rows};
        }
        ByteBuffer b = ByteBuffer.allocate(out.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(out);
        g.addInitializer(OnnxProtos.raw(name, DataType.FLOAT_VALUE, dims, b.array()));
        return name;
    }

    /**
     * The inverse of the GGUF converter's q/k permutation: within each head, GGUF row {@code 2i+j}
     * is the checkpoint's row {@code j·D/2 + i}.
     */
    private static float[] unpermute(float[] w, int rows, int cols, int n) {
        int d = rows / n;
        float[] out = new float[w.length];
        for (int h = 0; h < n; h++) {
            for (int i = 0; i < d / 2; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(w, (h * d + 2 * i + j) * cols, out, (h * d + j * d / 2 + i) * cols, cols);
                }
            }
        }
        return out;
    }

    private String node(String op, String name, Object... inputsAndAttrs) {
        return nodeTo(op, name, name + "_output_0", inputsAndAttrs);
    }

    /** A node whose output is {@code out}; its inputs are the strings and its attributes the rest. */
    private String nodeTo(String op, String name, String out, Object... inputsAndAttrs) {
        List<String> in = new ArrayList<>();
        List<Onnx.AttributeProto> attrs = new ArrayList<>();
        for (Object o : inputsAndAttrs) {
            if (o instanceof Onnx.AttributeProto a) {
                attrs.add(a);
            } else {
                in.add((String) o);
            }
        }
        g.addNode(Onnx.NodeProto.newBuilder()
                .setOpType(op)
                .setName(name)
                .addAllInput(in)
                .addOutput(out)
                .addAllAttribute(attrs));
        return out;
    }

    private String i64(String name, long v) {
        g.addInitializer(OnnxProtos.longs(name, new long[0], v));
        return name;
    }

    private String i64s(String name, long... v) {
        g.addInitializer(OnnxProtos.longs(name, new long[] {v.length}, v));
        return name;
    }

    private String f32(String name, float v) {
        g.addInitializer(OnnxProtos.floats(name, new long[0], v));
        return name;
    }

    private static Onnx.AttributeProto ints0(String name) {
        return intAttr(name, 0);
    }
}
