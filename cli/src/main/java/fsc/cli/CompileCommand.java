package fsc.cli;

import fsc.compiler.CompileDriver;
import fsc.compiler.CompileResult;
import fsc.compiler.CompileSettings;
import fsc.compiler.QuantizeOptions;
import fsc.compiler.Target;
import fsc.frontend.gguf.arch.DecoderOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fsc compile}: model file to a runnable jar. */
@Command(
        name = "compile",
        mixinStandardHelpOptions = true,
        description = {
            "Compile a model into a self-contained jar (generated code, mapped weights and the runtime).",
            "MODEL is an ONNX model, a GGUF decoder (llama, qwen2, gemma), or an .fsir dump from --dump-ir.",
            "",
            "Example:",
            "  fsc compile all-minilm-l6-v2.onnx --target java -o minilm.jar --dump-ir out/ir --time-passes"
        })
final class CompileCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The model: an .onnx, .gguf or .fsir file.")
    Path model;

    @Option(
            names = "--target",
            defaultValue = "java",
            description =
                    "Code generator: java (Java Vector API), cuda (CUDA C → PTX), or cuda,java (CUDA with the Java"
                            + " code as the fallback where there is no GPU). Default: ${DEFAULT-VALUE}.")
    String target;

    @Option(names = "--arch", description = "CUDA: GPU architecture for PTX. Default: sm_90.")
    String arch;

    @Option(
            names = "--dump-cuda",
            paramLabel = "DIR",
            description = "CUDA: write model.cu, model.ptx and the host class to DIR.")
    Path dumpCuda;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "JAR",
            description = "Output jar. Default: MODEL's name with .jar, in the current folder.")
    Path output;

    @Option(
            names = "--dump-ir",
            paramLabel = "DIR",
            description = "Write the IR after import and after every pass as DIR/NN-pass.fsir.")
    Path dumpIr;

    @Option(names = "--time-passes", description = "Print how long each pass took and how it changed the node count.")
    boolean timePasses;

    @Option(
            names = "--passes",
            paramLabel = "LIST",
            split = ",",
            description = "Run these passes (comma-separated) instead of the target's default pipeline (for an"
                    + " .fsir dump: the passes after the dump's).")
    java.util.List<String> passes;

    @Option(
            names = "--bound",
            paramLabel = "SYM=N",
            description = "Upper bound of a symbolic dimension (e.g. --bound S=256) of an ONNX or .fsir model;"
                    + " for a GGUF decoder only T (= --max-batch-tokens) and context (= --max-context). Defaults"
                    + " come from the model (batch-like dims 64, others 512).")
    Map<String, Long> bounds = new LinkedHashMap<>();

    @Option(
            names = "--bind",
            paramLabel = "NAME=FILE",
            description = "ONNX models: replace graph input NAME by the constant in FILE (.npy or ONNX .pb), e.g. a"
                    + " shape or axes input, so it is known at compile time; the input leaves the jar's signature.")
    Map<String, Path> bindings = new LinkedHashMap<>();

    @Option(
            names = "--shape",
            paramLabel = "NAME=DIMS",
            description = "ONNX models: fix graph input NAME to a shape, e.g. --shape x=1x3x640x640: its symbolic"
                    + " dims become numbers (models whose convolutions or pads need fixed sizes).")
    Map<String, String> shapes = new LinkedHashMap<>();

    @Option(
            names = "--decoder",
            description = "ONNX decoders exported with past KV inputs and present outputs (GPT-2's past_N, or"
                    + " Hugging Face's past_key_values.N.key/value with attention_mask and position_ids, merged"
                    + " exports included): compile the step for the LLM runtime (kv-paging: attention over paged KV"
                    + " blocks), so fsc generate and fsc serve run it; --max-context and --max-batch-tokens bound"
                    + " it as for GGUF.")
    boolean decoder;

    @Option(
            names = "--max-context",
            paramLabel = "N",
            description = "GGUF decoders: positions a sequence may reach (sizes the rope tables). Default: the model's"
                    + " context, at most 4096.")
    Long maxContext;

    @Option(
            names = "--max-batch-tokens",
            paramLabel = "N",
            description = "GGUF decoders: tokens one step may hold (prefill chunk). Default: 512.")
    Long maxBatchTokens;

    @Option(
            names = "--numerics",
            paramLabel = "MODE",
            description = "GGUF decoders: f32 (default, most accurate) or llama-cpp: round as llama.cpp's CPU backend"
                    + " does (Q8_K activations in K-quant matmuls, Q8_0 in Q4_0/Q8_0 ones, f16 KV cache, f16 flash"
                    + " attention), to reproduce"
                    + " its logits.")
    String numerics;

    @Option(
            names = "--kv-cache",
            paramLabel = "TYPE",
            description = "GGUF decoders and ONNX ones compiled with --decoder: KV cache element type, f32 or f16"
                    + " (half the memory). Default: f32, f16 with --numerics llama-cpp.")
    String kvCache;

    @Option(
            names = "--check-passes",
            description = "ONNX and .fsir models: after every pass, run the reference interpreter on the same random"
                    + " inputs; report each pass's max error per output and the first node that diverges beyond"
                    + " 1e-4.")
    boolean checkPasses;

    @Option(
            names = "--quantize",
            paramLabel = "MODE",
            description = "ONNX f32 models: quantize the linear layers. int8: int8 weights per output channel,"
                    + " activations quantized per tensor at run time; int4: Q4_0 weights (blocks of 32), f32"
                    + " activations; auto: per layer, by measured error, within --accuracy-budget. Convs: int8."
                    + " GGUF decoders: re-quantize the F32/F16/BF16 weights to q8_0, q4_0 or q4_k (llama-quantize's"
                    + " Q4_K = Q4_K_M mix), byte-identical to llama-quantize: the same per-tensor types (norms kept"
                    + " F32, output head Q6_K or Q8_0), and its fallbacks for rows that are not whole blocks (to"
                    + " F16, Q8_0); a model whose q4_k fallback would be Q5_0 (rows not a multiple of 256) is"
                    + " refused, as is an already-quantized tensor. auto: per tensor group (layer, token table,"
                    + " output head) q4_k/q4_0, q8_0 or the source type, within --accuracy-budget kl=K.")
    String quantize;

    @Option(
            names = "--quant-report",
            paramLabel = "DIR",
            description = "With --quantize (ONNX or GGUF): where the accuracy report goes (report.md, layers.csv,"
                    + " sensitivity.svg)."
                    + " Default: JAR's name with -quant, beside it.")
    Path quantReport;

    @Option(
            names = "--quant-steps",
            paramLabel = "N",
            description = "With --quantize on a GGUF decoder: the greedy steps of the report's reference sequence"
                    + " (default 32; each costs the reference interpreter a pass over the model, so fewer for"
                    + " big models), 2 to 256.")
    Integer quantSteps;

    @Option(
            names = "--no-quant-speed",
            description = "With --quantize on an ONNX model: leave the speed table out of the report. By default"
                    + " every variant (fp32, int8, int4, and auto's choice with --quantize auto) is compiled in"
                    + " memory and timed on the report's inputs with the jar's kernels, warm-up until the timings"
                    + " settle: seconds for a small model, a minute or two for MiniLM.")
    boolean noQuantSpeed;

    @Option(
            names = "--quant-threads",
            paramLabel = "N",
            description = "With --quantize on an ONNX model: the worker threads the report's variants are timed"
                    + " with. Default: 1.")
    Integer quantThreads;

    @Option(
            names = "--calibrate",
            paramLabel = "DIR",
            description = "With --quantize: real inputs to measure on, one sub-folder per sample holding one NAME.npy"
                    + " per model input. int8 activations then get static scales read from them (one per tensor).")
    Path calibrate;

    @Option(
            names = "--calibration-method",
            paramLabel = "METHOD",
            description = "With --calibrate: how a static scale is read from the data: minmax (default),"
                    + " percentile (99.999th of |x|) or entropy (KL-divergence threshold search, as TensorRT).")
    String calibrationMethod;

    @Option(
            names = "--accuracy-budget",
            paramLabel = "cos=C|kl=K",
            description = "With --quantize auto. ONNX: cos=C, the lowest per-token cosine against the f32 model to"
                    + " accept (default cos=0.99). GGUF: kl=K, the largest mean KL divergence (nats) of the"
                    + " next-token distribution from the source model's on the report's reference sequence"
                    + " (default kl=0.01).")
    String accuracyBudget;

    @Option(
            names = "--profile",
            paramLabel = "NAME",
            description = "edge: settings for a small device where no option says otherwise. ONNX: --quantize"
                    + " int8 and one sequence (the inputs' first axis bounded by 1); GGUF: the file's quant types"
                    + " kept, one sequence, steps of 32 tokens, KV blocks of 16, an f16 KV cache, context at"
                    + " most 1024.")
    String profile;

    @Option(
            names = "--memory-cap",
            paramLabel = "SIZE",
            description = "Refuse to compile when the weights, the arena and (decoders) the KV cache of one full"
                    + " context need more than SIZE (e.g. 256M, 1G).")
    String memoryCap;

    @Option(
            names = {"-q", "--quiet"},
            description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() {
        CompileSettings settings = CompileSettings.builder(model, output != null ? output : defaultOutput(model))
                .target(Target.byName(target))
                .arch(arch)
                .dumpCuda(dumpCuda)
                .toolPath(System.getenv("PATH"))
                .passes(passes)
                .bounds(bounds)
                .bindings(bindings)
                .shapes(ShapeOption.parse(shapes))
                .dumpIr(dumpIr)
                .timePasses(timePasses)
                .checkPasses(checkPasses)
                .numerics(numerics)
                .kvCache(kvCache)
                .maxContext(maxContext == null ? null : Math.toIntExact(maxContext))
                .maxBatchTokens(maxBatchTokens == null ? null : Math.toIntExact(maxBatchTokens))
                .decoder(decoder ? DecoderOptions.defaults() : null)
                .quantize(new QuantizeOptions(
                        quantize,
                        quantReport,
                        accuracyBudget,
                        calibrate,
                        calibrationMethod,
                        quantSteps,
                        noQuantSpeed ? Boolean.FALSE : null,
                        quantThreads))
                .profile(profile)
                .memoryCap(memoryCap)
                .build();
        CompileResult r = CompileDriver.compile(settings, new Progress(System.err, quiet));
        if (timePasses) {
            System.err.print(r.passReport());
        }
        if (!quiet) {
            System.err.println(r.summary());
        }
        return 0;
    }

    static Path defaultOutput(Path model) {
        String name = model.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return Path.of((dot > 0 ? name.substring(0, dot) : name) + ".jar");
    }
}
