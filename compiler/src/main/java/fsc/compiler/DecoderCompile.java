package fsc.compiler;

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
import fsc.passes.PipelineResult;
import fsc.runtime.ElemType;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.PagedLayout;
import fsc.runtime.llm.TokenizerSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;

/**
 * The GGUF step of the driver: build the decoder's step graph from metadata, run the target's
 * pipeline as for ONNX models, and add {@code fsc/llm.json} (cache layout, bounds, tokenizer) so the
 * jar can generate text on its own.
 */
final class DecoderCompile {
    private DecoderCompile() {}

    static CompileResult compile(CompileSettings s, Path jar, CompileProgress progress) {
        DecoderOptions options = options(s);
        if (EdgeProfile.on(s) && options.maxContext() == 0) {
            try (GgufFile file = GgufFile.open(s.input())) {
                options = options.withMaxContext(
                        EdgeProfile.context(DecoderParams.read(file).trainedContext()));
            }
        }
        if (s.target().cuda() && (options.numerics() != DecoderNumerics.F32 || options.kvType() != DType.F32)) {
            throw new FscException(
                    s.input() + ": the CUDA target computes in f32 with an f32 KV cache",
                    "--numerics llama-cpp and --kv-cache f16 are for --target java");
        }
        progress.step("importing " + s.input());
        try (GgufFile file = GgufFile.open(s.input())) {
            // --quantize: the plan is decided (and refused, if fsc cannot carry it out) and measured before the import.
            TreeMap<String, byte[]> resources = new TreeMap<>();
            GgufQuantizeCompile.Planned requant =
                    s.quantize().quantizing() ? GgufQuantizeCompile.plan(s, file, resources, progress) : null;
            GgufDecoderImporter.Imported imported = GgufDecoderImporter.importModel(file, options);
            DecoderParams p = imported.params();
            progress.step("built a " + p.arch().name() + " decoder: " + p.layers() + " layers, dim " + p.dim() + ", "
                    + p.heads() + "/" + p.kvHeads() + " heads, context " + imported.context() + ", "
                    + imported.graph().nodes().size() + " nodes");
            PassManager pm = PassManager.builder().dumpDir(s.dumpIr()).build();
            List<Pass> passes = CompileDriver.pipeline(s);
            if (requant != null) {
                passes = GgufQuantizeCompile.withPass(s, requant, options.numerics(), passes, progress);
            }
            PipelineResult optimized = pm.run(imported.graph(), passes, PassContext.defaults());
            progress.step("passes done: " + optimized.graph().nodes().size() + " nodes"
                    + (s.dumpIr() != null ? ", IR written to " + s.dumpIr() : ""));
            LlmConfig config = config(imported, optimized.graph());
            resources.put(LlmConfig.ENTRY, config.toJson().getBytes(StandardCharsets.UTF_8));
            MemoryCap.check(s, optimized.graph(), kvCacheBytes(imported));
            return CompileDriver.emit(s, optimized, jar, resources, progress);
        }
    }

    /**
     * The decoder options: the base from code (or the defaults), then {@code --numerics}, {@code
     * --kv-cache} (null: what the numerics imply, f16 for llama-cpp), and the bounds from {@code
     * --max-context} / {@code --max-batch-tokens} or their {@code --bound} keys.
     */
    static DecoderOptions options(CompileSettings s) {
        DecoderOptions o = s.decoder() != null ? s.decoder() : DecoderOptions.defaults();
        if (s.numerics() != null) {
            o = o.withNumerics(DecoderNumerics.byName(s.numerics()));
        }
        if (s.kvCache() != null) {
            o = o.withKvType(
                    switch (s.kvCache()) {
                        case "f32" -> DType.F32;
                        case "f16" -> DType.F16;
                        default -> throw new FscException("unknown --kv-cache '" + s.kvCache() + "'", "use f32 or f16");
                    });
        }
        Long context = s.maxContext() != null
                ? Long.valueOf(s.maxContext())
                : s.bounds().get(Applicability.CONTEXT_KEY);
        if (context != null) {
            o = o.withMaxContext(Math.toIntExact(context));
        }
        Long tokens = s.maxBatchTokens() != null
                ? Long.valueOf(s.maxBatchTokens())
                : s.bounds().get(Applicability.BATCH_TOKENS_KEY);
        if (tokens != null) {
            o = o.withMaxBatchTokens(Math.toIntExact(tokens));
        }
        return o;
    }

    /** The KV cache of the step's sequences at the full context: keys and values of every layer. */
    static long kvCacheBytes(GgufDecoderImporter.Imported imported) {
        DecoderParams p = imported.params();
        DecoderOptions o = imported.options();
        long perPosition = 2L * p.layers() * p.kvHeads() * p.headDim() * (o.kvType() == DType.F16 ? 2 : 4);
        return perPosition * imported.context() * o.maxSequences();
    }

    private static LlmConfig config(GgufDecoderImporter.Imported imported, Graph g) {
        DecoderParams p = imported.params();
        DecoderOptions o = imported.options();
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
                tokenizerSpec(imported.tokenizer()));
    }

    /** The runtime's description of the file's tokenizer (the jar's, and the quant report's prompt encoder). */
    static TokenizerSpec tokenizerSpec(GgufTokenizerData t) {
        return new TokenizerSpec(
                t.model(),
                t.tokens(),
                t.scores(),
                t.types(),
                t.merges(),
                t.bosId(),
                t.eosId(),
                t.unkId(),
                t.addBos(),
                t.addSpacePrefix(),
                t.chatTemplate());
    }
}
