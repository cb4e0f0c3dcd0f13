package fsc.cli;

import fsc.backend.java.JavaBackend;
import fsc.backend.java.JavaBackendOptions;
import fsc.frontend.onnx.ImportOptions;
import fsc.frontend.onnx.OnnxImporter;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.passes.Pass;
import fsc.passes.PassCheckReport;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.PassRegistry;
import fsc.passes.PipelineResult;
import fsc.passes.Pipelines;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** The compile driver shared by {@code compile}, {@code run}, {@code demo} and {@code bench}: import → passes → backend. */
public final class ModelCompiler {
    private ModelCompiler() {}

    /** What the user asked for besides the model and the output. */
    public record Settings(
            Path dumpIr,
            boolean timePasses,
            List<String> passes,
            Map<String, Long> bounds,
            Map<String, Path> bindings,
            boolean checkPasses,
            String numerics,
            String kvCache) {
        /** f32 numerics; the KV cache type the numerics imply. */
        public Settings(
                Path dumpIr,
                boolean timePasses,
                List<String> passes,
                Map<String, Long> bounds,
                Map<String, Path> bindings,
                boolean checkPasses) {
            this(dumpIr, timePasses, passes, bounds, bindings, checkPasses, null, null);
        }

        public Settings(Path dumpIr, boolean timePasses, List<String> passes, Map<String, Long> bounds) {
            this(dumpIr, timePasses, passes, bounds, Map.of());
        }

        public Settings(
                Path dumpIr,
                boolean timePasses,
                List<String> passes,
                Map<String, Long> bounds,
                Map<String, Path> bindings) {
            this(dumpIr, timePasses, passes, bounds, bindings, false);
        }

        public static Settings defaults() {
            return new Settings(null, false, null, Map.of());
        }
    }

    /** What a compile produced. */
    public record Result(Path jar, Graph graph, PipelineResult pipeline, String summary) {
        public String passReport() {
            return pipeline.timingReport();
        }
    }

    public static Result compile(Path model, Path outJar, Settings settings, Progress progress) {
        return compile(model, outJar, settings, progress, null);
    }

    /** As above; {@code cuda} non-null selects the CUDA backend ({@code --target cuda[,java]}). */
    public static Result compile(
            Path model, Path outJar, Settings settings, Progress progress, fsc.backend.cuda.CudaBackendOptions cuda) {
        if (!Files.isRegularFile(model)) {
            throw new FscException(model + ": no such file");
        }
        String file = model.getFileName().toString();
        if (file.endsWith(".gguf")) {
            return LlmCompiler.compile(
                    model,
                    outJar,
                    settings.dumpIr(),
                    settings.passes(),
                    LlmCompiler.options(settings.bounds(), settings.numerics(), settings.kvCache()),
                    progress,
                    cuda);
        }
        if (settings.numerics() != null || settings.kvCache() != null) {
            throw new FscException(
                    model + ": --numerics and --kv-cache apply to GGUF decoders",
                    "leave them out for ONNX and IR models");
        }
        boolean ir = IrFiles.isIr(model);
        if (!file.endsWith(".onnx") && !ir) {
            throw new FscException(
                    model + ": unsupported model format", "fsc compiles .onnx, .gguf and .fsir files in this build");
        }
        progress.step((ir ? "reading " : "importing ") + model);
        Graph imported = ir ? IrFiles.read(model) : importOnnx(model, settings);
        progress.step("imported " + imported.nodes().size() + " nodes, "
                + imported.constants().size() + " constants");

        List<Pass> pipeline = settings.passes() != null
                ? settings.passes().stream().map(PassRegistry::byName).toList()
                : ir
                        ? IrFiles.remainingDefault(model)
                        : cuda != null ? Pipelines.cudaDefault() : Pipelines.cpuDefault(JavaBackend::hasKernel);
        PassManager.Builder pmb = PassManager.builder().dumpDir(settings.dumpIr());
        // --check-passes: the interpreter is naive, so symbols run at 3 (see PassCheckReport).
        PassCheckReport check = settings.checkPasses() ? PassCheckReport.randomInputs(imported, 0, 1e-4) : null;
        if (check != null) {
            pmb.afterEachPass(check);
        }
        PipelineResult optimized = pmb.build().run(imported, pipeline, PassContext.defaults());
        if (check != null) {
            System.err.print(check.report());
            if (!check.ok()) {
                throw new FscException(check.failure(), "the check report above lists every pass's error");
            }
        }
        progress.step("passes done: " + optimized.graph().nodes().size() + " nodes"
                + (settings.dumpIr() != null ? ", IR written to " + settings.dumpIr() : ""));

        if (cuda != null) {
            progress.step("generating CUDA C and compiling it to PTX");
            var r = fsc.backend.cuda.CudaBackend.compile(
                    optimized.graph(), JavaBackendOptions.forModel(file), cuda, outJar);
            progress.step("wrote " + outJar);
            return new Result(outJar, optimized.graph(), optimized, "fsc: " + outJar + ": " + r.summary());
        }
        progress.step("generating Java and compiling it");
        var summary = JavaBackend.compile(optimized.graph(), JavaBackendOptions.forModel(file), outJar);
        progress.step("wrote " + outJar);
        return new Result(outJar, optimized.graph(), optimized, "fsc: " + outJar + ": " + summary.summary());
    }

    private static Graph importOnnx(Path model, Settings settings) {
        ImportOptions options = ImportOptions.defaults();
        for (var e : settings.bounds().entrySet()) {
            options = options.withBound(e.getKey(), e.getValue());
        }
        options = options.withBindings(BoundInputs.read(settings.bindings()));
        return OnnxImporter.importModel(model, options);
    }

    /**
     * A jar for {@code model}: the model itself when it is a jar, otherwise a compile into the cache,
     * keyed by the model's sha256 and this fsc build, reused when present.
     */
    public static Path jarFor(Path model, Progress progress) {
        if (model.getFileName().toString().endsWith(".jar")) {
            return model;
        }
        if (!Files.isRegularFile(model)) {
            throw new FscException(model + ": no such file");
        }
        try {
            String key = sha256(model).substring(0, 16) + "-" + buildFingerprint();
            String stem = model.getFileName().toString().replaceAll("\\.[^.]*$", "");
            Path cached = FscHome.cache().resolve(stem + "-" + key + ".jar");
            if (Files.isRegularFile(cached)) {
                progress.step("using cached " + cached);
                return cached;
            }
            Files.createDirectories(cached.getParent());
            Path tmp = Files.createTempFile(cached.getParent(), stem, ".jar.tmp");
            try {
                compile(model, tmp, Settings.defaults(), progress);
                Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return cached;
        } catch (IOException e) {
            throw new FscException("cannot use the compile cache " + FscHome.cache() + ": " + e.getMessage());
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Changes whenever the compiler itself is rebuilt, so stale cached jars are not reused. */
    static String buildFingerprint() {
        try {
            Path self = Path.of(ModelCompiler.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            long stamp =
                    Files.isRegularFile(self) ? Files.getLastModifiedTime(self).toMillis() ^ Files.size(self) : 0;
            return Version.VERSION + "-" + Long.toHexString(stamp);
        } catch (Exception e) {
            return Version.VERSION;
        }
    }
}
