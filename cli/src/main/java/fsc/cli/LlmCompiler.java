package fsc.cli;

import fsc.backend.java.JavaBackend;
import fsc.backend.java.JavaBackendOptions;
import fsc.backend.java.JavaBackendResult;
import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufTokenizerData;
import fsc.frontend.gguf.arch.DecoderNumerics;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.frontend.gguf.arch.DecoderParams;
import fsc.frontend.gguf.arch.GgufDecoderImporter;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.passes.Pass;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.PassRegistry;
import fsc.passes.PipelineResult;
import fsc.passes.Pipelines;
import fsc.runtime.ElemType;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.PagedLayout;
import fsc.runtime.llm.TokenizerSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The compile driver for GGUF decoders: build the step graph from metadata, run the same pass
 * pipeline as ONNX models, generate Java, and add {@code fsc/llm.json} (cache layout, bounds,
 * tokenizer) so the jar can generate text on its own.
 */
public final class LlmCompiler {
    /** {@code --bound} keys read here: the step's token bound (the graph's {@code T}) and the context. */
    public static final String BATCH_TOKENS_KEY = "T";

    public static final String CONTEXT_KEY = "context";

    private LlmCompiler() {}

    /** Decoder bounds from {@code --bound T=N} / {@code --bound context=N} (what --max-batch-tokens/--max-context set). */
    public static DecoderOptions options(Map<String, Long> bounds) {
        return options(bounds, null, null);
    }

    /**
     * As above, with {@code --numerics} ({@code f32} or {@code llama-cpp}; null: f32) and {@code
     * --kv-cache} ({@code f32} or {@code f16}; null: what the numerics imply, f16 for llama-cpp).
     */
    public static DecoderOptions options(Map<String, Long> bounds, String numerics, String kvCache) {
        DecoderOptions o = DecoderOptions.defaults();
        if (numerics != null) {
            o = o.withNumerics(DecoderNumerics.byName(numerics));
        }
        if (kvCache != null) {
            o = o.withKvType(
                    switch (kvCache) {
                        case "f32" -> DType.F32;
                        case "f16" -> DType.F16;
                        default -> throw new FscException("unknown --kv-cache '" + kvCache + "'", "use f32 or f16");
                    });
        }
        if (bounds.containsKey(CONTEXT_KEY)) {
            o = o.withMaxContext(Math.toIntExact(bounds.get(CONTEXT_KEY)));
        }
        if (bounds.containsKey(BATCH_TOKENS_KEY)) {
            o = o.withMaxBatchTokens(Math.toIntExact(bounds.get(BATCH_TOKENS_KEY)));
        }
        return o;
    }

    public static ModelCompiler.Result compile(
            Path model, Path outJar, Path dumpIr, List<String> passes, DecoderOptions options, Progress progress) {
        return compile(model, outJar, dumpIr, passes, options, progress, null);
    }

    /** As above; {@code cuda} non-null selects the CUDA backend ({@code --target cuda[,java]}). */
    public static ModelCompiler.Result compile(
            Path model,
            Path outJar,
            Path dumpIr,
            List<String> passes,
            DecoderOptions options,
            Progress progress,
            fsc.backend.cuda.CudaBackendOptions cuda) {
        if (cuda != null && (options.numerics() != DecoderNumerics.F32 || options.kvType() != DType.F32)) {
            throw new FscException(
                    model + ": the CUDA target computes in f32 with an f32 KV cache",
                    "--numerics llama-cpp and --kv-cache f16 are for --target java");
        }
        progress.step("importing " + model);
        try (GgufFile file = GgufFile.open(model)) {
            GgufDecoderImporter.Imported imported = GgufDecoderImporter.importModel(file, options);
            DecoderParams p = imported.params();
            progress.step("built a " + p.arch().name() + " decoder: " + p.layers() + " layers, dim " + p.dim() + ", "
                    + p.heads() + "/" + p.kvHeads() + " heads, context " + imported.context() + ", "
                    + imported.graph().nodes().size() + " nodes");
            List<Pass> pipeline = passes == null
                    ? (cuda != null ? Pipelines.cudaDefault() : Pipelines.cpuDefault(JavaBackend::hasKernel))
                    : passes.stream().map(PassRegistry::byName).toList();
            PassManager pm = PassManager.builder().dumpDir(dumpIr).build();
            PipelineResult optimized = pm.run(imported.graph(), pipeline, PassContext.defaults());
            Graph g = optimized.graph();
            progress.step("generating Java and compiling it");
            LlmConfig config = config(imported, g);
            TreeMap<String, byte[]> resources = new TreeMap<>();
            resources.put(LlmConfig.ENTRY, config.toJson().getBytes(StandardCharsets.UTF_8));
            String label = model.getFileName().toString();
            if (cuda != null) {
                var r = fsc.backend.cuda.CudaBackend.compile(
                        g, JavaBackendOptions.forModel(label), cuda, outJar, resources);
                progress.step("wrote " + outJar);
                return new ModelCompiler.Result(outJar, g, optimized, "fsc: " + outJar + ": " + r.summary());
            }
            JavaBackendResult r = JavaBackend.compile(g, JavaBackendOptions.forModel(label), outJar, resources);
            progress.step("wrote " + outJar);
            return new ModelCompiler.Result(outJar, g, optimized, "fsc: " + outJar + ": " + r.summary());
        }
    }

    private static LlmConfig config(GgufDecoderImporter.Imported imported, Graph g) {
        DecoderParams p = imported.params();
        DecoderOptions o = imported.options();
        GgufTokenizerData t = imported.tokenizer();
        long weightBytes = g.weights().byName().values().stream()
                .mapToLong(w -> w.bytes().remaining())
                .sum();
        return new LlmConfig(
                g.name(),
                p.arch().name(),
                p.vocab(),
                new PagedLayout(
                        p.layers(),
                        o.blockSize(),
                        p.heads(),
                        p.kvHeads(),
                        p.headDim(),
                        (float) (1 / Math.sqrt(p.headDim())),
                        o.kvType() == DType.F16 ? ElemType.F16 : ElemType.F32),
                imported.context(),
                o.maxBatchTokens(),
                o.maxSequences(),
                weightBytes,
                o.numerics().cliName(),
                new TokenizerSpec(
                        t.model(),
                        t.tokens(),
                        t.scores(),
                        t.types(),
                        t.merges(),
                        t.bosId(),
                        t.eosId(),
                        t.unkId(),
                        t.addBos(),
                        t.addSpacePrefix()));
    }
}
