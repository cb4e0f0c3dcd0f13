package fsc.compiler;

import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.frontend.onnx.ImportOptions;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.passes.DcePass;
import fsc.passes.KvPagingPass;
import fsc.passes.Pass;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.PipelineResult;
import fsc.runtime.ElemType;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.PagedLayout;
import fsc.runtime.llm.TokenizerSpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code fsc compile model.onnx --decoder}: an ONNX decoder step exported with past KV inputs and
 * present outputs, compiled for the LLM runtime. The target's pipeline runs with {@code kv-paging}
 * after the first clean-up (fold, cse, dce: the pass matches the attention on folded constants,
 * before {@code recognize} fuses it into {@code attention}), and the jar carries {@code
 * fsc/llm.json} as a GGUF decoder's does, so {@code fsc generate} and {@code fsc serve} run it. An
 * ONNX export carries no tokenizer: the jar's vocabulary is the token ids ({@link
 * TokenizerSpec#ids}).
 */
final class OnnxDecoderCompile {
    /** The token ids input of Hugging Face decoder exports. */
    static final String IDS = "input_ids";
    /** The flag of Hugging Face's merged decoder exports that selects the with-past graph. */
    static final String USE_CACHE = "use_cache_branch";

    private OnnxDecoderCompile() {}

    static CompileResult compile(CompileSettings s, Path jar, CompileProgress progress) {
        DecoderOptions o = DecoderCompile.options(s);
        progress.step("importing " + s.input());
        // A Hugging Face export takes [batch, sequence_length] ids; the paged step feeds each new
        // token as its own row, so the new tokens per row are one (prefill is many rows).
        // A merged export (decoder_model_merged.onnx) chooses between its with-past and its
        // first-step graph on use_cache_branch; a paged step always has a past (maybe empty).
        ImportOptions decoder = ImportOptions.defaults()
                .withFixedAxis(IDS, 1, 1)
                .withOptionalBinding(
                        USE_CACHE, new WeightData(DType.BOOL, List.of(1L), ByteBuffer.wrap(new byte[] {1})));
        Graph imported = CompileDriver.importOnnx(s, decoder);
        if (imported.constants().stream().anyMatch(c -> c.value().name().equals(USE_CACHE))) {
            progress.step("merged export: " + USE_CACHE + " bound to true (the with-past graph)");
        }
        progress.step("imported " + imported.nodes().size() + " nodes, "
                + imported.constants().size() + " constants");
        Map<String, String> options = new TreeMap<>();
        options.put(KvPagingPass.MAX_CONTEXT, Long.toString(o.maxContext() > 0 ? o.maxContext() : 4096));
        options.put(KvPagingPass.MAX_BATCH_TOKENS, Long.toString(o.maxBatchTokens()));
        options.put(KvPagingPass.MAX_SEQUENCES, Long.toString(o.maxSequences()));
        options.put(KvPagingPass.BLOCK_SIZE, Long.toString(o.blockSize()));
        options.put(KvPagingPass.KV_CACHE, o.kvType() == DType.F16 ? "f16" : "f32");
        PassContext ctx = PassContext.of(options, d -> progress.step(d.pass() + ": " + d.message()));
        PipelineResult optimized =
                PassManager.builder().dumpDir(s.dumpIr()).build().run(imported, pipeline(s), ctx);
        Graph g = optimized.graph();
        progress.step("passes done: " + g.nodes().size() + " nodes"
                + (s.dumpIr() != null ? ", IR written to " + s.dumpIr() : ""));
        LlmConfig config = config(s, g, o);
        TreeMap<String, byte[]> resources = new TreeMap<>();
        resources.put(LlmConfig.ENTRY, config.toJson().getBytes(StandardCharsets.UTF_8));
        PagedLayout l = config.layout();
        long kvBytes = 2L
                * l.layers()
                * l.kvHeads()
                * l.headDim()
                * l.kvType().byteSize()
                * config.maxContext()
                * config.maxSequences();
        MemoryCap.check(s, g, kvBytes);
        return CompileDriver.emit(s, optimized, jar, resources, progress);
    }

    /** {@code --passes} as given, else the target's pipeline with kv-paging after the first dce. */
    private static List<Pass> pipeline(CompileSettings s) {
        List<Pass> passes = new ArrayList<>(CompileDriver.pipeline(s));
        if (s.passes() == null) {
            int dce = 0;
            while (!(passes.get(dce) instanceof DcePass)) {
                dce++;
            }
            passes.add(dce + 1, new KvPagingPass());
        }
        return passes;
    }

    /** The cache layout and bounds, read back from the paged graph's attention nodes. */
    private static LlmConfig config(CompileSettings s, Graph g, DecoderOptions o) {
        List<Node> attention =
                g.nodes().stream().filter(n -> n.op().equals("paged_attention")).toList();
        Value logits = g.outputs().stream()
                .filter(v -> v.name().equals(LlmConfig.LOGITS))
                .findFirst()
                .orElse(null);
        String context = g.metadata().get(KvPagingPass.CONTEXT_METADATA);
        if (attention.isEmpty() || logits == null || context == null) {
            throw new FscException(
                    s.input() + ": --decoder needs the kv-paging pass in the pipeline", "leave --passes out");
        }
        Node a = attention.getFirst();
        int headDim = Math.toIntExact(a.intAttr("head_dim"));
        long weightBytes = g.weights().byName().values().stream()
                .mapToLong(w -> w.bytes().remaining())
                .sum();
        int vocab = Math.toIntExact(logits.type().dim(1).value());
        return new LlmConfig(
                g.name(),
                "onnx",
                vocab,
                new PagedLayout(
                        Math.toIntExact(a.intAttr("num_layers")),
                        Math.toIntExact(a.intAttr("block_size")),
                        Math.toIntExact(a.intAttr("num_heads")),
                        Math.toIntExact(a.intAttr("num_kv_heads")),
                        headDim,
                        (float) (1 / Math.sqrt(headDim)),
                        o.kvType() == DType.F16 ? ElemType.F16 : ElemType.F32),
                Integer.parseInt(context),
                o.maxBatchTokens(),
                o.maxSequences(),
                weightBytes,
                LlmConfig.NUMERICS_F32,
                TokenizerSpec.ids(vocab));
    }
}
