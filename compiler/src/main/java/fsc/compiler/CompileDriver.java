package fsc.compiler;

import fsc.backend.cuda.CudaBackend;
import fsc.backend.cuda.CudaBackendOptions;
import fsc.backend.cuda.Nvcc;
import fsc.backend.java.JavaBackend;
import fsc.backend.java.JavaBackendOptions;
import fsc.frontend.onnx.ImportOptions;
import fsc.frontend.onnx.OnnxImporter;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.passes.FusePass;
import fsc.passes.FusionRules;
import fsc.passes.Pass;
import fsc.passes.PassCheckReport;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.PassRegistry;
import fsc.passes.PipelineResult;
import fsc.passes.Pipelines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one compile driver: every command, test and example that turns a model into a jar calls
 * {@link #compile}.
 *
 * <pre>
 *   check the options apply ({@link Applicability}) → read the input by format
 *     ONNX: import (bounds, bindings)    .fsir: parse (+ bounds)    GGUF: build the decoder step graph
 *     ONNX with --decoder: import, then the pipeline with kv-paging ({@link OnnxDecoderCompile})
 *   → the target's pipeline (or --passes; for .fsir the passes after the dump's) → backend(s) → jar
 * </pre>
 *
 * The jar is written to a temporary file beside the output and moved into place, so a failed or
 * interrupted compile never leaves a half-written jar under the output's name.
 */
public final class CompileDriver {
    private CompileDriver() {}

    /** Distinguishes the temporary files of compiles running at once in one process. */
    private static final AtomicLong TEMP_COUNTER = new AtomicLong();

    public static CompileResult compile(CompileSettings s, CompileProgress progress) {
        if (!Files.isRegularFile(s.input())) {
            throw new FscException(s.input() + ": no such file");
        }
        Applicability.check(s);
        s = EdgeProfile.effective(s);
        if (s.target().cuda()) {
            cudaOptions(s); // --arch and --gemm are checked before the passes run, not after
        }
        Path out = s.output().toAbsolutePath();
        // Not Files.createTempFile: its owner-only permissions would pass to the jar on the move.
        Path tmp = out.resolveSibling(out.getFileName() + "."
                + ProcessHandle.current().pid() + "-" + TEMP_COUNTER.incrementAndGet() + ".tmp");
        try {
            Files.createDirectories(out.getParent());
        } catch (IOException e) {
            throw new FscException("cannot write " + s.output() + ": " + e.getMessage());
        }
        try {
            CompileResult r =
                    switch (s.format()) {
                        case GGUF -> DecoderCompile.compile(s, tmp, progress);
                        case ONNX ->
                            s.decoder() != null
                                    ? OnnxDecoderCompile.compile(s, tmp, progress)
                                    : compileGraph(s, tmp, progress);
                        case FSIR -> compileGraph(s, tmp, progress);
                    };
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            progress.step("wrote " + s.output());
            return new CompileResult(s.output(), r.graph(), r.pipeline(), r.summary());
        } catch (IOException e) {
            throw new FscException("cannot write " + s.output() + ": " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                // the temporary file stays; the compile's own outcome is what the user needs to see
            }
        }
    }

    private static CompileResult compileGraph(CompileSettings s, Path jar, CompileProgress progress) {
        boolean ir = s.format() == InputFormat.FSIR;
        progress.step((ir ? "reading " : "importing ") + s.input());
        Graph imported = ir ? IrFiles.withBounds(IrFiles.read(s.input()), s.input(), s.bounds()) : importOnnx(s);
        if (EdgeProfile.on(s) && !ir) {
            imported = EdgeProfile.oneSequence(imported, s);
        }
        progress.step("imported " + imported.nodes().size() + " nodes, "
                + imported.constants().size() + " constants");
        PassManager.Builder pmb = PassManager.builder().dumpDir(s.dumpIr());
        // --check-passes: the interpreter is naive, so symbols run at 3 (see PassCheckReport).
        PassCheckReport check = s.checkPasses() ? PassCheckReport.randomInputs(imported, 0, 1e-4) : null;
        if (check != null) {
            pmb.afterEachPass(check);
        }
        List<Pass> passes = pipeline(s);
        TreeMap<String, byte[]> resources = new TreeMap<>();
        if (s.quantize().quantizing()) {
            passes = QuantizeCompile.plan(s, imported, passes, resources, progress);
        }
        PipelineResult optimized = pmb.build().run(imported, passes, PassContext.defaults());
        if (check != null) {
            progress.report(check.report());
            if (!check.ok()) {
                throw new FscException(check.failure(), "the check report above lists every pass's error");
            }
        }
        progress.step("passes done: " + optimized.graph().nodes().size() + " nodes"
                + (s.dumpIr() != null ? ", IR written to " + s.dumpIr() : ""));
        MemoryCap.check(s, optimized.graph(), 0);
        return emit(s, optimized, jar, resources, progress);
    }

    /**
     * The passes to run: {@code --passes} when given, else the target's default pipeline, and for an
     * {@code .fsir} dump only the passes after the one that wrote it.
     */
    static List<Pass> pipeline(CompileSettings s) {
        if (s.passes() != null) {
            // A named fuse pass gets the target's fusion rules, as in the default pipeline.
            return s.passes().stream()
                    .map(PassRegistry::byName)
                    .map(p -> p instanceof FusePass ? new FusePass(fusionRules(s.target())) : p)
                    .toList();
        }
        List<Pass> all = defaultPipeline(s.target());
        return s.format() == InputFormat.FSIR ? IrFiles.remaining(s.input(), all, s.target()) : all;
    }

    /**
     * The target's default pipeline: CUDA's keeps weights row-major and halves as they are; each fuses
     * by its own backend's rules.
     */
    public static List<Pass> defaultPipeline(Target t) {
        return t.cuda()
                ? Pipelines.cudaDefault(fusionRules(t))
                : Pipelines.cpuDefault(JavaBackend::hasKernel, fusionRules(t));
    }

    /** What the target's backend can take from the {@code fuse} pass (see {@link FusionRules}). */
    public static FusionRules fusionRules(Target t) {
        return t.cuda() ? CudaBackend.fusionRules() : JavaBackend.fusionRules();
    }

    /** Code generation for the target: Java, or CUDA (whose jar also carries the Java code). */
    static CompileResult emit(
            CompileSettings s,
            PipelineResult optimized,
            Path jar,
            SortedMap<String, byte[]> resources,
            CompileProgress progress) {
        Graph g = optimized.graph();
        JavaBackendOptions java =
                JavaBackendOptions.forModel(s.input().getFileName().toString());
        if (s.target().cuda()) {
            progress.step("generating CUDA C and compiling it to PTX");
            var r = CudaBackend.compile(g, java, cudaOptions(s), jar, resources);
            return new CompileResult(jar, g, optimized, "fsc: " + s.output() + ": " + r.summary());
        }
        progress.step("generating Java and compiling it");
        var r = JavaBackend.compile(g, java, jar, resources);
        return new CompileResult(jar, g, optimized, "fsc: " + s.output() + ": " + r.summary());
    }

    private static CudaBackendOptions cudaOptions(CompileSettings s) {
        return new CudaBackendOptions(
                s.arch() != null ? s.arch() : "sm_90",
                s.gemm() != null ? s.gemm() : "generated",
                s.target() == Target.CUDA_JAVA,
                s.dumpCuda(),
                Nvcc.find(s.toolPath()));
    }

    static Graph importOnnx(CompileSettings s) {
        return importOnnx(s, ImportOptions.defaults());
    }

    /** {@code s}'s model imported with its bounds, bindings and shapes on top of {@code options}. */
    static Graph importOnnx(CompileSettings s, ImportOptions base) {
        ImportOptions options = base;
        for (var e : s.bounds().entrySet()) {
            options = options.withBound(e.getKey(), e.getValue());
        }
        options = options.withBindings(BoundInputs.read(s.bindings()));
        for (var e : s.shapes().entrySet()) {
            options = options.withShape(e.getKey(), e.getValue());
        }
        return OnnxImporter.importModel(s.input(), options);
    }
}
