package fsc.compiler;

import fsc.frontend.gguf.GgmlType;
import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufFileType;
import fsc.frontend.gguf.GgufQuantizer;
import fsc.frontend.gguf.GgufRequantizer;
import fsc.frontend.gguf.GgufTensorInfo;
import fsc.frontend.gguf.GgufTokenizerData;
import fsc.frontend.gguf.LlamaQuantRules;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.frontend.gguf.arch.DecoderParams;
import fsc.frontend.gguf.arch.GgufDecoderImporter;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.QuantizePass;
import fsc.runtime.llm.Sampler;
import fsc.runtime.llm.TextCodec;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Measures what re-quantizing a GGUF decoder's weights costs in accuracy, for the GGUF report and
 * {@code --quantize auto}: fsc's reference interpreter runs the decoder step graph over one reference
 * sequence (the source model's own greedy continuation of {@link #PROMPT}, {@link #STEPS} steps or
 * {@code --quant-steps}), once
 * with the source weights and once per variant with some weights quantized by ggml's quantizers and
 * dequantized back to f32 (the values the quantized kernels multiply by), and compares the next-token
 * logits at the generated positions ({@link LogitsAgreement}). Every variant is fed the same tokens
 * (teacher forcing), so an early flipped token does not change what later positions see.
 *
 * <p>Tensors are grouped as llama.cpp's mixes treat them: one group per layer ({@code blk.N.*}), the
 * token table and the output head. A group "at" a file type is that type's llama-quantize plan
 * restricted to the group's tensors ({@link LlamaQuantRules}), so Q4_K_M keeps its Q6_K tensors and
 * rows that are not whole blocks fall back as llama-quantize's would.
 */
final class GgufQuantMeasure {
    /** The prompt of the reference sequence: the tokenizer's encoding, BOS first when the model asks. */
    static final String PROMPT = "Once upon a time";

    /** Generated positions compared, unless {@code --quant-steps} says otherwise. */
    static final int STEPS = 32;

    /** The most {@code --quant-steps} accepts (each step is a pass of the interpreter over a growing prefix). */
    static final int MAX_STEPS = 256;

    private static final int BLOCK = 16;

    private final GgufFile file;
    private final LlamaQuantRules.Model model;
    private final DecoderParams params;
    /** The imported step graph with every packed weight in f32 (F16/BF16 sources widened exactly). */
    private final Graph base;
    /** Group name → its tensors (the packed-weight constants llama.cpp may quantize), in graph order. */
    private final Map<String, List<String>> groups = new LinkedHashMap<>();
    /** Prompt then the greedy tokens fed back (the last generated token is never fed). */
    private final int[] sequence;

    private final int promptLength;
    private final int steps;
    private final float[][] reference;
    /** Quantized weights by {@code name/type}: measured variants reuse them, and so does the compile. */
    private final Map<String, WeightData> quantized = new ConcurrentHashMap<>();

    GgufQuantMeasure(GgufFile file, LlamaQuantRules.Model model, int steps, CompileProgress progress) {
        this.file = file;
        this.model = model;
        this.steps = steps;
        int[] prompt = new TextCodec(DecoderCompile.tokenizerSpec(GgufTokenizerData.of(file))).encode(PROMPT);
        this.promptLength = prompt.length;
        int length = promptLength + steps - 1;
        int context = (length + BLOCK - 1) / BLOCK * BLOCK;
        GgufDecoderImporter.Imported imported =
                GgufDecoderImporter.importModel(file, new DecoderOptions(context, context, 1, BLOCK));
        this.params = imported.params();
        this.base = widened(imported.graph());
        for (String name : packedWeights(base)) {
            GgufTensorInfo t = info(name);
            if (LlamaQuantRules.quantizable(t)) {
                groups.computeIfAbsent(group(name), g -> new ArrayList<>()).add(name);
            }
        }
        progress.step("quant report: generating the reference sequence (" + steps + " greedy steps after \"" + PROMPT
                + "\") with the reference interpreter");
        this.sequence = Arrays.copyOf(prompt, length);
        for (int n = promptLength; n < length; n++) {
            if ((n - promptLength) % 8 == 7) {
                progress.step("quant report: step " + (n - promptLength + 1) + " of " + steps);
            }
            float[] last = run(base, n, new long[] {n - 1})[0];
            sequence[n] = Sampler.argmax(last, 0, last.length);
        }
        this.reference = teacherForced(base);
    }

    /** Every group, in graph order, with its tensors. */
    Map<String, List<String>> groups() {
        return groups;
    }

    int promptLength() {
        return promptLength;
    }

    int steps() {
        return steps;
    }

    /** The generated tokens of the reference sequence (those fed back; the last one is not). */
    int[] generated() {
        return Arrays.copyOfRange(sequence, promptLength, sequence.length);
    }

    /**
     * The tensors of {@code group} whose type changes at file type {@code f} (llama-quantize's plan
     * restricted to the group), or null when one of them would get a type fsc cannot write (Q5_0,
     * Q4_K's fallback for rows that are not whole super-blocks).
     */
    Map<String, GgmlType> groupPlan(String group, GgufFileType f) {
        TreeMap<String, GgmlType> plan = new TreeMap<>();
        for (String name : groups.get(group)) {
            GgufTensorInfo t = info(name);
            GgmlType target = LlamaQuantRules.targetType(f, t, model);
            if (target == t.type()) {
                continue;
            }
            if (!GgufQuantizer.supports(target)) {
                return null;
            }
            plan.put(name, target);
        }
        return plan;
    }

    /** The quantized data of {@code name} as {@code type}, made once. */
    WeightData quantized(String name, GgmlType type) {
        return quantized.computeIfAbsent(
                name + "/" + type, k -> GgufRequantizer.quantize(base.weights().get(name), type));
    }

    /** The decoder with the tensors of {@code plan} quantized, against the source on the reference sequence. */
    LogitsAgreement measure(Map<String, GgmlType> plan) {
        Map<String, WeightData> replaced = new HashMap<>();
        plan.forEach((name, type) -> replaced.put(name, dequantized(quantized(name, type), type)));
        Graph g = base.withBody(
                base.constants(), base.nodes(), base.outputs(), base.weights().with(replaced));
        return new LogitsAgreement().addAll(reference, teacherForced(g));
    }

    /** Bytes of tensor {@code name} in {@code type} (its source type when null). */
    long bytes(String name, GgmlType type) {
        GgufTensorInfo t = info(name);
        long rowLength = t.dims().get(0);
        long rows = t.elementCount() / rowLength;
        return (type == null ? t.type() : type).bytesFor(rowLength) * rows;
    }

    GgmlType sourceType(String name) {
        return info(name).type();
    }

    /** The next-token logits at every generated position of the reference sequence. */
    private float[][] teacherForced(Graph g) {
        long[] rows = new long[steps];
        for (int i = 0; i < steps; i++) {
            rows[i] = promptLength - 1 + i;
        }
        return run(g, sequence.length, rows);
    }

    /** One step over the first {@code n} tokens of the sequence (positions 0..n-1), logits at {@code rows}. */
    private float[][] run(Graph g, int n, long[] rows) {
        long[] ids = new long[n];
        long[] positions = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = sequence[i];
            positions[i] = i;
        }
        int blocks = (n + BLOCK - 1) / BLOCK;
        long[] table = new long[blocks];
        for (int b = 0; b < blocks; b++) {
            table[b] = b;
        }
        long blockFloats = 2L * params.layers() * BLOCK * params.kvHeads() * params.headDim();
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("tokens", HostTensor.ofInts(DType.I32, new long[] {n}, ids));
        in.put("positions", HostTensor.ofInts(DType.I32, new long[] {n}, positions));
        in.put("seq_ids", HostTensor.ofInts(DType.I32, new long[] {n}, new long[n]));
        in.put("block_table", HostTensor.ofInts(DType.I32, new long[] {1, blocks}, table));
        in.put("kv_cache", HostTensor.zeros(DType.F32, new long[] {blocks, blockFloats}));
        in.put("logit_rows", HostTensor.ofInts(DType.I32, new long[] {rows.length}, rows));
        float[] logits = new Interpreter(g).run(in).get("logits").toFloatArray();
        int vocab = logits.length / rows.length;
        float[][] out = new float[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            out[r] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
        }
        return out;
    }

    private GgufTensorInfo info(String name) {
        return file.findTensor(name)
                .orElseThrow(() -> new IllegalStateException("GgufQuantMeasure: no tensor " + name + " in the file"));
    }

    /** {@code blk.3.attn_q.weight} → {@code blk.3}; {@code output.weight} → {@code output}. */
    static String group(String tensor) {
        if (tensor.startsWith("blk.")) {
            return tensor.substring(0, tensor.indexOf('.', 4));
        }
        int dot = tensor.indexOf('.');
        return dot > 0 ? tensor.substring(0, dot) : tensor;
    }

    /** Names of the constants read as packed weights ({@code qmatmul}'s weight, {@code embedding}'s table). */
    private static List<String> packedWeights(Graph g) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (Node n : g.nodes()) {
            for (int i = 0; i < n.inputs().size(); i++) {
                boolean packed = (n.op().equals("qmatmul") && i == 1) || (n.op().equals("embedding") && i == 0);
                Value v = n.input(i);
                if (packed && g.constantOf(v) != null) {
                    names.add(g.constantOf(v).weight());
                }
            }
        }
        return List.copyOf(names);
    }

    /** {@code g} with its F16/BF16 packed weights widened to f32 (exactly), so variants swap data only. */
    private static Graph widened(Graph g) {
        QuantizePass pass = QuantizePass.requantize(
                (weight, data) -> data.dtype() == DType.F16 || data.dtype() == DType.BF16
                        ? dequantized(data, data.dtype() == DType.F16 ? GgmlType.F16 : GgmlType.BF16)
                        : null,
                false);
        return PassManager.builder()
                .build()
                .run(g, List.of(pass), PassContext.defaults())
                .graph();
    }

    /** {@code w} (rows along its last dimension, of ggml type {@code type}) as f32 values. */
    static WeightData dequantized(WeightData w, GgmlType type) {
        fsc.runtime.quant.GgmlType t = fsc.runtime.quant.GgmlType.valueOf(type.name());
        int rowLength = Math.toIntExact(w.dims().getLast());
        long rows = w.elementCount() / rowLength;
        long rowBytes = t.bytesFor(rowLength);
        MemorySegment src = MemorySegment.ofBuffer(w.view());
        ByteBuffer out =
                ByteBuffer.allocate(Math.toIntExact(w.elementCount() * 4)).order(ByteOrder.LITTLE_ENDIAN);
        float[] row = new float[rowLength];
        for (long r = 0; r < rows; r++) {
            fsc.runtime.quant.Dequantize.row(t, src, r * rowBytes, row, 0, rowLength);
            out.asFloatBuffer().put(Math.toIntExact(r * rowLength), row);
        }
        return new WeightData(DType.F32, w.dims(), out);
    }
}
