package fsc.compiler;

import fsc.ir.FscException;
import java.util.Set;

/**
 * The rule that no option is silently ignored: before any work, every option the user gave is
 * checked against the input's format and the target, and one that does not apply is refused in one
 * line naming the option (the CLI turns it into exit code 2). Options that only some keys of apply
 * ({@code --bound}) are checked per key here or, where the keys come from the model, by the format's
 * compile step ({@code .fsir} symbols).
 */
public final class Applicability {
    private Applicability() {}

    /** The {@code --bound} keys a GGUF decoder reads: the step's token bound and the context. */
    public static final String BATCH_TOKENS_KEY = "T";

    public static final String CONTEXT_KEY = "context";

    static final Set<String> DECODER_BOUND_KEYS = Set.of(BATCH_TOKENS_KEY, CONTEXT_KEY);

    /** Refuses the first option in {@code s} that does not apply to its input or target. */
    public static void check(CompileSettings s) {
        InputFormat f = s.format();
        String in = s.input().toString();
        if (!s.target().cuda()) {
            refuseIf(s.arch() != null, in, "--arch", "applies to --target cuda and cuda,java");
            refuseIf(s.gemm() != null, in, "--gemm", "applies to --target cuda and cuda,java");
            refuseIf(s.dumpCuda() != null, in, "--dump-cuda", "applies to --target cuda and cuda,java");
        }
        if (f != InputFormat.GGUF) {
            String why = "applies to GGUF decoders, not " + f.plural;
            refuseIf(s.numerics() != null, in, "--numerics", why);
            // An ONNX decoder compiled with --decoder takes the same bounds and cache type as a GGUF one.
            boolean paged = f == InputFormat.ONNX && s.decoder() != null;
            String pagedWhy = paged ? why : "applies to GGUF decoders and ONNX models compiled with --decoder";
            refuseIf(s.kvCache() != null && !paged, in, "--kv-cache", pagedWhy);
            refuseIf(s.maxContext() != null && !paged, in, "--max-context", pagedWhy);
            refuseIf(s.maxBatchTokens() != null && !paged, in, "--max-batch-tokens", pagedWhy);
            refuseIf(s.decoder() != null && !paged, in, "--decoder", "applies to ONNX models, not " + f.plural);
        }
        pagedOnnx(s, f, in);
        quantize(s, f, in);
        edge(s, f, in);
        switch (f) {
            case ONNX -> {}
            case GGUF -> {
                refuseIf(
                        !s.bindings().isEmpty(),
                        in,
                        "--bind",
                        "applies to ONNX models' graph inputs; a GGUF"
                                + " decoder's inputs are the token ids and the cache");
                refuseIf(
                        !s.shapes().isEmpty(),
                        in,
                        "--shape",
                        "applies to ONNX models' graph inputs; a GGUF"
                                + " decoder's inputs are the token ids and the cache");
                for (String key : s.bounds().keySet()) {
                    refuseIf(
                            !DECODER_BOUND_KEYS.contains(key),
                            in,
                            "--bound " + key,
                            "is not a GGUF decoder bound (use --bound T=N or --bound context=N, or"
                                    + " --max-batch-tokens / --max-context)");
                }
                // The reference interpreter has no paged-attention or quantized-matvec kernels and a
                // decoder's step is a billion multiply-adds: checking it after every pass cannot run.
                refuseIf(
                        s.checkPasses(),
                        in,
                        "--check-passes",
                        "applies to ONNX models and .fsir files; the"
                                + " reference interpreter does not run GGUF decoder steps");
                if (s.target().cuda()) {
                    refuseIf(
                            "llama-cpp".equals(s.numerics()),
                            in,
                            "--numerics llama-cpp",
                            "is for --target java" + " (the CUDA target computes in f32)");
                    refuseIf(
                            "f16".equals(s.kvCache()),
                            in,
                            "--kv-cache f16",
                            "is for --target java (the CUDA" + " target keeps an f32 KV cache)");
                }
            }
            case FSIR -> {
                refuseIf(
                        !s.bindings().isEmpty(),
                        in,
                        "--bind",
                        "applies to ONNX models: an .fsir"
                                + " file's inputs were fixed at import (bind when compiling the .onnx)");
                refuseIf(
                        !s.shapes().isEmpty(),
                        in,
                        "--shape",
                        "applies to ONNX models: an .fsir"
                                + " file's input types were fixed at import (use --shape when compiling the .onnx)");
            }
        }
    }

    /** The most threads {@code --quant-threads} takes (a typo's 1000 would start a thousand workers). */
    static final int MAX_TIMING_THREADS = 256;

    /** The quantization options: what they need besides each other, and the modes and budgets that exist. */
    private static void quantize(CompileSettings s, InputFormat f, String in) {
        QuantizeOptions q = s.quantize();
        refuseIf(q.report() != null && !q.quantizing(), in, "--quant-report", "applies with --quantize");
        refuseIf(
                q.budget() != null && !"auto".equals(q.mode()),
                in,
                "--accuracy-budget",
                "applies with --quantize auto (it chooses each layer's precision to meet it)");
        refuseIf(q.calibrate() != null && !q.quantizing(), in, "--calibrate", "applies with --quantize");
        refuseIf(q.steps() != null && !q.quantizing(), in, "--quant-steps", "applies with --quantize");
        // The edge profile quantizes an ONNX model itself, so its timing can be switched off too.
        boolean quantizes = q.quantizing() || (EdgeProfile.on(s) && f == InputFormat.ONNX);
        refuseIf(q.speed() != null && !quantizes, in, "--no-quant-speed", "applies with --quantize");
        refuseIf(q.speedThreads() != null && !quantizes, in, "--quant-threads", "applies with --quantize");
        refuseIf(
                q.speedThreads() != null && !q.timed(),
                in,
                "--quant-threads",
                "does not combine with --no-quant-speed (it is the thread count the variants are timed with)");
        refuseIf(
                q.speedThreads() != null && (q.speedThreads() < 1 || q.speedThreads() > MAX_TIMING_THREADS),
                in,
                "--quant-threads " + q.speedThreads(),
                "must be 1 to " + MAX_TIMING_THREADS);
        refuseIf(
                f == InputFormat.GGUF && (q.speed() != null || q.speedThreads() != null),
                in,
                q.speed() != null ? "--no-quant-speed" : "--quant-threads",
                "applies to ONNX models; a GGUF decoder's report measures accuracy only (time its jar with fsc"
                        + " bench)");
        refuseIf(
                q.calibrationMethod() != null && q.calibrate() == null,
                in,
                "--calibration-method",
                "applies with --calibrate DIR (static scales are read from calibration data)");
        refuseIf(
                q.calibrationMethod() != null && "int4".equals(q.mode()),
                in,
                "--calibration-method",
                "does not apply to --quantize int4: int4 is weight-only, no activation is quantized (the"
                        + " calibration set still feeds its activation-aware scales)");
        if (!q.quantizing()) {
            return;
        }
        if (q.calibrationMethod() != null) {
            CalibrationMethod.byName(q.calibrationMethod()); // an unknown method fails here, before any work
        }
        refuseIf(
                q.calibrate() != null && !java.nio.file.Files.isDirectory(q.calibrate()),
                in,
                "--calibrate " + q.calibrate(),
                "is not a folder (expected one sub-folder per sample, one NAME.npy per model input in each)");
        refuseIf(
                !QUANTIZE_MODES.contains(q.mode()) && !GGUF_QUANTIZE_MODES.contains(q.mode()),
                in,
                "--quantize " + q.mode(),
                "is not a quantization mode (int8, int4 or auto for ONNX models; q8_0, q4_0, q4_k or auto for"
                        + " GGUF decoders)");
        refuseIf(f == InputFormat.FSIR, in, "--quantize", "applies to ONNX models and GGUF decoders, not " + f.plural);
        refuseIf(
                f == InputFormat.ONNX && !QUANTIZE_MODES.contains(q.mode()),
                in,
                "--quantize " + q.mode(),
                "applies to GGUF decoders (llama.cpp's file types); ONNX models take int8, int4 or auto");
        refuseIf(
                f == InputFormat.GGUF && !GGUF_QUANTIZE_MODES.contains(q.mode()),
                in,
                "--quantize " + q.mode(),
                "applies to ONNX models; a GGUF decoder is re-quantized to llama.cpp's q8_0, q4_0 or q4_k, or auto");
        refuseIf(
                f != InputFormat.GGUF && q.steps() != null,
                in,
                "--quant-steps",
                "applies to GGUF decoders (the length of the report's reference sequence); ONNX models measure on"
                        + " --calibrate DIR or a sample input");
        refuseIf(
                q.steps() != null && (q.steps() < 2 || q.steps() > GgufQuantMeasure.MAX_STEPS),
                in,
                "--quant-steps " + q.steps(),
                "must be 2 to " + GgufQuantMeasure.MAX_STEPS);
        refuseIf(
                f == InputFormat.GGUF && q.calibrate() != null,
                in,
                "--calibrate",
                "applies to ONNX models; a GGUF decoder's report measures on the model's own greedy continuation of"
                        + " a prompt");
        refuseIf(s.target().cuda(), in, "--quantize", "is for --target java (the int8 and int4 kernels are Java's)");
        refuseIf(
                s.passes() != null,
                in,
                "--quantize",
                "does not combine with --passes (name the quantize pass in the list instead)");
        refuseIf(
                s.checkPasses(),
                in,
                "--check-passes",
                "does not combine with --quantize: quantizing changes the outputs by design (the"
                        + " quantization report measures by how much)");
        if (q.budget() != null) {
            AccuracyBudget b = AccuracyBudget.parse(q.budget()); // a malformed budget fails here, before any work
            refuseIf(
                    f == InputFormat.GGUF && b.metric() != AccuracyBudget.Metric.KL,
                    in,
                    "--accuracy-budget " + q.budget(),
                    "applies to ONNX models; a GGUF decoder's budget is the mean KL divergence of its next-token"
                            + " distribution, kl=K (e.g. kl=0.01)");
            refuseIf(
                    f == InputFormat.ONNX && b.metric() != AccuracyBudget.Metric.COS,
                    in,
                    "--accuracy-budget " + q.budget(),
                    "applies to GGUF decoders' next-token distributions; an ONNX model's budget is the lowest"
                            + " output cosine, cos=C (e.g. cos=0.995)");
        }
    }

    /** {@code --profile} and {@code --memory-cap}: a known profile, on what it applies to; a well-formed size. */
    /**
     * {@code --decoder} on an ONNX model: what its compile path ({@code OnnxDecoderCompile}) does
     * not do yet is refused rather than ignored.
     */
    private static void pagedOnnx(CompileSettings s, InputFormat f, String in) {
        if (f != InputFormat.ONNX || s.decoder() == null) {
            return;
        }
        String why = "does not combine with --decoder yet (an ONNX decoder compiles in f32 for --target java)";
        refuseIf(s.quantize().quantizing(), in, "--quantize", why);
        refuseIf(s.profile() != null, in, "--profile", why);
        refuseIf(s.checkPasses(), in, "--check-passes", why);
        refuseIf(s.target().cuda(), in, "--target " + s.target().cliName, why);
    }

    private static void edge(CompileSettings s, InputFormat f, String in) {
        if (s.memoryCap() != null) {
            MemoryCap.parse(s.memoryCap()); // a malformed size fails here, before any work
        }
        if (s.profile() == null) {
            return;
        }
        EdgeProfile.checkName(s);
        refuseIf(
                f == InputFormat.FSIR,
                in,
                "--profile edge",
                "applies to ONNX and GGUF models; an .fsir dump's weights and bounds were fixed when it was"
                        + " written (compile the .onnx with the profile)");
        refuseIf(s.target().cuda(), in, "--profile edge", "is for --target java (edge devices run the Java code)");
        if (f == InputFormat.ONNX && !s.quantize().quantizing()) {
            // The profile quantizes (int8); what does not combine with --quantize does not combine with it.
            refuseIf(
                    s.passes() != null,
                    in,
                    "--profile edge",
                    "quantizes to int8 and does not combine with --passes (name the passes, with quantize, instead)");
            refuseIf(
                    s.checkPasses(),
                    in,
                    "--check-passes",
                    "does not combine with --profile edge: its int8 quantization changes the outputs by design");
        }
    }

    static final Set<String> QUANTIZE_MODES = Set.of("int8", "int4", "auto");

    /** The GGUF re-quantization modes: llama.cpp's file types ({@code fsc.frontend.gguf.GgufFileType}) and auto. */
    static final Set<String> GGUF_QUANTIZE_MODES = Set.of("q8_0", "q4_0", "q4_k", "auto");

    private static void refuseIf(boolean given, String input, String option, String why) {
        if (given) {
            throw new FscException(input + ": " + option + " " + why);
        }
    }
}
