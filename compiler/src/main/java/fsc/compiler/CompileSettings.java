package fsc.compiler;

import fsc.frontend.gguf.arch.DecoderOptions;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything one compile was asked for: the one settings object the CLI, the tests and the examples
 * fill. An option the user did not give is null (or empty / false), so {@link Applicability} can
 * tell "not given" from "given with the default value" and refuse what does not apply.
 *
 * @param input the model: {@code .onnx}, {@code .gguf} or {@code .fsir}
 * @param output the jar to write
 * @param target code generator(s)
 * @param arch CUDA: GPU architecture for PTX (null: sm_90)
 * @param gemm CUDA: GEMM kernels (null: generated)
 * @param dumpCuda CUDA: where to write model.cu, model.ptx and the host class, or null
 * @param toolPath the {@code PATH} searched for nvcc (the CLI reads the environment; null: none)
 * @param passes the passes to run instead of the target's default pipeline, or null
 * @param bounds {@code --bound SYM=N}: symbol bounds (ONNX, .fsir) or decoder keys T / context (GGUF)
 * @param bindings {@code --bind NAME=FILE}: ONNX graph inputs replaced by constants
 * @param shapes {@code --shape NAME=DIMS}: ONNX graph inputs fixed to a shape (first-shape
 *     specialisation in {@code fsc run})
 * @param dumpIr where to write the IR after import and after every pass, or null
 * @param timePasses whether the caller wants the per-pass timing report ({@link CompileResult#passReport})
 * @param checkPasses run the reference interpreter after every pass and stop at the first divergence
 * @param numerics GGUF: {@code f32} or {@code llama-cpp}, or null
 * @param kvCache GGUF: {@code f32} or {@code f16}, or null
 * @param maxContext GGUF: positions a sequence may reach, or null
 * @param maxBatchTokens GGUF: tokens one step may hold, or null
 * @param decoder GGUF, from code only: base decoder options (sequences per step, block size), or null; ONNX:
 *     non-null ({@code --decoder}) compiles a decoder step with past KV for the LLM runtime (kv-paging)
 * @param quantize {@code --quantize}, {@code --quant-report}, {@code --accuracy-budget} (each null when not given)
 * @param profile {@code --profile}: {@code edge} ({@link EdgeProfile}), or null
 * @param memoryCap {@code --memory-cap} as given ({@code 256M}), or null ({@link MemoryCap})
 */
public record CompileSettings(
        Path input,
        Path output,
        Target target,
        String arch,
        String gemm,
        Path dumpCuda,
        String toolPath,
        List<String> passes,
        SortedMap<String, Long> bounds,
        SortedMap<String, Path> bindings,
        SortedMap<String, List<Long>> shapes,
        Path dumpIr,
        boolean timePasses,
        boolean checkPasses,
        String numerics,
        String kvCache,
        Integer maxContext,
        Integer maxBatchTokens,
        DecoderOptions decoder,
        QuantizeOptions quantize,
        String profile,
        String memoryCap) {

    public CompileSettings {
        quantize = quantize == null ? QuantizeOptions.NONE : quantize;
        passes = passes == null ? null : List.copyOf(passes);
        bounds = Collections.unmodifiableSortedMap(new TreeMap<>(bounds));
        bindings = Collections.unmodifiableSortedMap(new TreeMap<>(bindings));
        shapes = Collections.unmodifiableSortedMap(new TreeMap<>(shapes));
    }

    public InputFormat format() {
        return InputFormat.of(input);
    }

    /** Defaults for {@code input}, written to {@code output}: Java target, default pipeline. */
    public static Builder builder(Path input, Path output) {
        return new Builder(input, output);
    }

    /** The same settings writing to another jar (the compile cache writes a temporary file first). */
    public CompileSettings withOutput(Path newOutput) {
        return new CompileSettings(
                input,
                newOutput,
                target,
                arch,
                gemm,
                dumpCuda,
                toolPath,
                passes,
                bounds,
                bindings,
                shapes,
                dumpIr,
                timePasses,
                checkPasses,
                numerics,
                kvCache,
                maxContext,
                maxBatchTokens,
                decoder,
                quantize,
                profile,
                memoryCap);
    }

    /** These settings quantizing with {@code q} ({@code --profile edge}'s int8 for ONNX). */
    CompileSettings withQuantize(QuantizeOptions q) {
        return new CompileSettings(
                input,
                output,
                target,
                arch,
                gemm,
                dumpCuda,
                toolPath,
                passes,
                bounds,
                bindings,
                shapes,
                dumpIr,
                timePasses,
                checkPasses,
                numerics,
                kvCache,
                maxContext,
                maxBatchTokens,
                decoder,
                q,
                profile,
                memoryCap);
    }

    /** These settings with decoder base options and a KV cache type ({@code --profile edge} for GGUF). */
    CompileSettings withDecoder(DecoderOptions base, String kv) {
        return new CompileSettings(
                input,
                output,
                target,
                arch,
                gemm,
                dumpCuda,
                toolPath,
                passes,
                bounds,
                bindings,
                shapes,
                dumpIr,
                timePasses,
                checkPasses,
                numerics,
                kv,
                maxContext,
                maxBatchTokens,
                base,
                quantize,
                profile,
                memoryCap);
    }

    /**
     * The settings that change the jar's content, as text: with the input's bytes and the compiler's
     * version, the compile cache's key. Dump directories and the timing flag do not change the jar.
     */
    public String fingerprint() {
        return String.join(
                "|",
                target.cliName,
                String.valueOf(arch),
                String.valueOf(gemm),
                String.valueOf(passes),
                bounds.toString(),
                bindings.toString(),
                shapes.toString(),
                String.valueOf(checkPasses),
                String.valueOf(numerics),
                String.valueOf(kvCache),
                String.valueOf(maxContext),
                String.valueOf(maxBatchTokens),
                String.valueOf(decoder),
                quantize.fingerprint(),
                String.valueOf(profile),
                String.valueOf(memoryCap));
    }

    /** Builds settings one option at a time; unset options stay "not given". */
    public static final class Builder {
        private final Path input;
        private final Path output;
        private Target target = Target.JAVA;
        private String arch;
        private String gemm;
        private Path dumpCuda;
        private String toolPath;
        private List<String> passes;
        private final SortedMap<String, Long> bounds = new TreeMap<>();
        private final SortedMap<String, Path> bindings = new TreeMap<>();
        private final SortedMap<String, List<Long>> shapes = new TreeMap<>();
        private Path dumpIr;
        private boolean timePasses;
        private boolean checkPasses;
        private String numerics;
        private String kvCache;
        private Integer maxContext;
        private Integer maxBatchTokens;
        private DecoderOptions decoder;
        private QuantizeOptions quantize = QuantizeOptions.NONE;
        private String profile;
        private String memoryCap;

        private Builder(Path input, Path output) {
            this.input = input;
            this.output = output;
        }

        public Builder target(Target t) {
            this.target = t;
            return this;
        }

        public Builder arch(String a) {
            this.arch = a;
            return this;
        }

        public Builder gemm(String g) {
            this.gemm = g;
            return this;
        }

        public Builder dumpCuda(Path dir) {
            this.dumpCuda = dir;
            return this;
        }

        public Builder toolPath(String path) {
            this.toolPath = path;
            return this;
        }

        public Builder passes(List<String> names) {
            this.passes = names;
            return this;
        }

        public Builder bounds(Map<String, Long> more) {
            this.bounds.putAll(more);
            return this;
        }

        public Builder bindings(Map<String, Path> more) {
            this.bindings.putAll(more);
            return this;
        }

        public Builder shapes(Map<String, List<Long>> more) {
            this.shapes.putAll(more);
            return this;
        }

        public Builder dumpIr(Path dir) {
            this.dumpIr = dir;
            return this;
        }

        public Builder timePasses(boolean on) {
            this.timePasses = on;
            return this;
        }

        public Builder checkPasses(boolean on) {
            this.checkPasses = on;
            return this;
        }

        public Builder numerics(String mode) {
            this.numerics = mode;
            return this;
        }

        public Builder kvCache(String type) {
            this.kvCache = type;
            return this;
        }

        public Builder maxContext(Integer n) {
            this.maxContext = n;
            return this;
        }

        public Builder maxBatchTokens(Integer n) {
            this.maxBatchTokens = n;
            return this;
        }

        public Builder decoder(DecoderOptions options) {
            this.decoder = options;
            return this;
        }

        public Builder quantize(QuantizeOptions q) {
            this.quantize = q;
            return this;
        }

        public Builder profile(String name) {
            this.profile = name;
            return this;
        }

        public Builder memoryCap(String size) {
            this.memoryCap = size;
            return this;
        }

        public CompileSettings build() {
            return new CompileSettings(
                    input,
                    output,
                    target,
                    arch,
                    gemm,
                    dumpCuda,
                    toolPath,
                    passes,
                    bounds,
                    bindings,
                    shapes,
                    dumpIr,
                    timePasses,
                    checkPasses,
                    numerics,
                    kvCache,
                    maxContext,
                    maxBatchTokens,
                    decoder,
                    quantize,
                    profile,
                    memoryCap);
        }
    }
}
