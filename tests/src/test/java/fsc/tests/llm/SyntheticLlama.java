package fsc.tests.llm;

import fsc.frontend.gguf.GgmlType;
import fsc.frontend.gguf.GgufValue;
import fsc.frontend.gguf.GgufValueType;
import fsc.frontend.gguf.GgufWriter;
import fsc.runtime.quant.Dequantize;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Writes synthetic LLaMA models with {@link GgufWriter}: random weights in LLaMA shapes, each
 * tensor in the type {@code typeOf} picks, and a byte-fallback SentencePiece vocabulary. {@link
 * #dequantizedTwin} writes the same model with every weight dequantized to F32, so a test can
 * compare the packed-weight kernels against plain F32 on identical effective weights.
 */
public record SyntheticLlama(int dim, int layers, int heads, int kvHeads, int ffn, int vocab, long seed) {

    /** The LLaMA tensors of this shape: name → [rows, cols] (outermost first). */
    List<Object[]> tensors() {
        int hd = dim / heads;
        List<Object[]> t = new ArrayList<>();
        t.add(new Object[] {"token_embd.weight", vocab, dim});
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            t.add(new Object[] {b + "attn_norm.weight", 1, dim});
            t.add(new Object[] {b + "attn_q.weight", dim, dim});
            t.add(new Object[] {b + "attn_k.weight", kvHeads * hd, dim});
            t.add(new Object[] {b + "attn_v.weight", kvHeads * hd, dim});
            t.add(new Object[] {b + "attn_output.weight", dim, dim});
            t.add(new Object[] {b + "ffn_norm.weight", 1, dim});
            t.add(new Object[] {b + "ffn_gate.weight", ffn, dim});
            t.add(new Object[] {b + "ffn_up.weight", ffn, dim});
            t.add(new Object[] {b + "ffn_down.weight", dim, ffn});
        }
        t.add(new Object[] {"output_norm.weight", 1, dim});
        t.add(new Object[] {"output.weight", vocab, dim});
        return t;
    }

    /** Writes the model; norms are always F32 (as llama.cpp keeps them). */
    public void write(Path path, Function<String, GgmlType> typeOf) {
        write(path, typeOf, "llama");
    }

    /**
     * Writes the model as {@code architecture} ({@code llama}, {@code qwen2}, {@code gemma}): the
     * metadata prefix follows it, and {@code qwen2} gets Q/K/V bias vectors (F32).
     */
    void write(Path path, Function<String, GgmlType> typeOf, String architecture) {
        GgufWriter w = header(architecture);
        if (architecture.equals("qwen2")) {
            int kvDim = kvHeads * (dim / heads);
            for (int l = 0; l < layers; l++) {
                for (String p : List.of("q", "k", "v")) {
                    String name = "blk." + l + ".attn_" + p + ".bias";
                    int n = p.equals("q") ? dim : kvDim;
                    w.addF32(name, GgmlType.F32, List.of((long) n), values(name, n));
                }
            }
        }
        for (Object[] t : tensors()) {
            String name = (String) t[0];
            int rows = (int) t[1];
            int cols = (int) t[2];
            float[] v = values(name, rows * cols);
            boolean norm = name.contains("norm");
            List<Long> dims = norm ? List.of((long) cols) : List.of((long) cols, (long) rows); // ggml order
            w.addF32(name, norm ? GgmlType.F32 : typeOf.apply(name), dims, v);
        }
        w.write(path);
    }

    /** The model {@link #write} writes with {@code typeOf}, with every weight dequantized back to F32. */
    void dequantizedTwin(Path path, Function<String, GgmlType> typeOf) {
        GgufWriter w = header("llama");
        try (Arena arena = Arena.ofConfined()) {
            for (Object[] t : tensors()) {
                String name = (String) t[0];
                int rows = (int) t[1];
                int cols = (int) t[2];
                float[] v = values(name, rows * cols);
                boolean norm = name.contains("norm");
                GgmlType type = norm ? GgmlType.F32 : typeOf.apply(name);
                MemorySegment packed = arena.allocate(type.bytesFor(v.length));
                fsc.frontend.gguf.GgufQuantizer.quantize(type, v, 0, v.length, packed, 0);
                float[] back = new float[v.length];
                Dequantize.row(fsc.runtime.quant.GgmlType.valueOf(type.name()), packed, 0, back, 0, v.length);
                List<Long> dims = norm ? List.of((long) cols) : List.of((long) cols, (long) rows);
                w.addF32(name, GgmlType.F32, dims, back);
            }
        }
        w.write(path);
    }

    private float[] values(String name, int n) {
        SplittableRandom r = new SplittableRandom(seed ^ name.hashCode());
        float[] v = new float[n];
        boolean norm = name.contains("norm");
        double scale = name.startsWith("token_embd") ? 1.0 : 1.0 / Math.sqrt(dim);
        for (int i = 0; i < n; i++) {
            v[i] = norm ? (float) (1 + 0.1 * (r.nextDouble() - 0.5)) : (float) ((r.nextDouble() * 2 - 1) * scale * 1.7);
        }
        return v;
    }

    private GgufWriter header(String a) {
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", a)
                .putString("general.name", "fsc-synthetic")
                .putU32(a + ".context_length", 4096)
                .putU32(a + ".embedding_length", dim)
                .putU32(a + ".feed_forward_length", ffn)
                .putU32(a + ".block_count", layers)
                .putU32(a + ".attention.head_count", heads)
                .putU32(a + ".attention.head_count_kv", kvHeads)
                .putF32(a + ".rope.freq_base", 10000f)
                .putF32(a + ".attention.layer_norm_rms_epsilon", 1e-5f)
                .putString("tokenizer.ggml.model", "llama")
                .putU32("tokenizer.ggml.bos_token_id", 1)
                .putU32("tokenizer.ggml.eos_token_id", 2)
                .putU32("tokenizer.ggml.unknown_token_id", 0);
        List<GgufValue> tokens = new ArrayList<>();
        List<GgufValue> scores = new ArrayList<>();
        List<GgufValue> types = new ArrayList<>();
        for (int i = 0; i < vocab; i++) {
            String text;
            int type;
            if (i < 3) {
                text = List.of("<unk>", "<s>", "</s>").get(i);
                type = i == 0 ? 2 : 3;
            } else if (i < 3 + 256) {
                text = String.format("<0x%02X>", i - 3);
                type = 6;
            } else {
                text = "\u2581t" + i;
                type = 1;
            }
            tokens.add(new GgufValue.StringValue(text));
            scores.add(new GgufValue.FloatValue(GgufValueType.FLOAT32, -i));
            types.add(new GgufValue.IntValue(GgufValueType.INT32, type));
        }
        w.put("tokenizer.ggml.tokens", new GgufValue.ArrayValue(GgufValueType.STRING, tokens));
        w.put("tokenizer.ggml.scores", new GgufValue.ArrayValue(GgufValueType.FLOAT32, scores));
        w.put("tokenizer.ggml.token_type", new GgufValue.ArrayValue(GgufValueType.INT32, types));
        return w;
    }
}
