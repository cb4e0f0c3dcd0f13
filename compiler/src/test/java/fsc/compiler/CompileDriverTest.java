package fsc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.backend.cuda.CudaBackend;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.ir.FscException;
import fsc.passes.Pass;
import fsc.passes.Pipelines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver keeps its word: every option is honoured or refused by name (issue 16 found
 * {@code --check-passes}, {@code --bind} and {@code --bound} silently dropped for GGUF and .fsir
 * inputs, and an .fsir input compiled for CUDA through the CPU pipeline).
 */
class CompileDriverTest {
    @TempDir
    Path dir;

    /** A file the driver accepts by name; refusals happen before it is read. */
    private Path empty(String name) throws Exception {
        return Files.createFile(dir.resolve(name));
    }

    private static FscException refused(CompileSettings s) {
        FscException e = assertThrows(FscException.class, () -> CompileDriver.compile(s, CompileProgress.SILENT));
        assertEquals(1, e.oneLine().lines().count(), e.oneLine());
        return e;
    }

    private static void assertNames(String option, FscException e) {
        assertTrue(e.oneLine().contains(option), "'" + option + "' not named in: " + e.oneLine());
    }

    @Test
    void ggufRefusesCheckPassesBindAndForeignBoundKeys() throws Exception {
        Path gguf = empty("m.gguf");
        Path jar = dir.resolve("m.jar");
        assertNames(
                "--check-passes",
                refused(CompileSettings.builder(gguf, jar).checkPasses(true).build()));
        assertNames(
                "--bind",
                refused(CompileSettings.builder(gguf, jar)
                        .bindings(Map.of("x", dir.resolve("x.npy")))
                        .build()));
        assertNames(
                "--bound S",
                refused(CompileSettings.builder(gguf, jar)
                        .bounds(Map.of("T", 32L, "S", 4L))
                        .build()));
        assertFalse(Files.exists(jar), "nothing written for a refused compile");
    }

    @Test
    void ggufHonoursItsBoundKeys() {
        CompileSettings s = CompileSettings.builder(Path.of("m.gguf"), Path.of("m.jar"))
                .bounds(Map.of("T", 32L, "context", 100L))
                .decoder(new DecoderOptions(256, 64, 4, 16))
                .build();
        Applicability.check(s);
        DecoderOptions o = DecoderCompile.options(s);
        assertEquals(32, o.maxBatchTokens());
        assertEquals(100, o.maxContext());
        assertEquals(4, o.maxSequences());
        // The named options win over their --bound spelling.
        DecoderOptions named = DecoderCompile.options(CompileSettings.builder(Path.of("m.gguf"), Path.of("m.jar"))
                .bounds(Map.of("T", 32L))
                .maxBatchTokens(64)
                .build());
        assertEquals(64, named.maxBatchTokens());
    }

    @Test
    void optionsForOtherFormatsOrTargetsAreRefusedByName() throws Exception {
        Path onnx = empty("m.onnx");
        Path fsir = empty("m.fsir");
        Path jar = dir.resolve("m.jar");
        assertNames(
                "--max-context",
                refused(CompileSettings.builder(onnx, jar).maxContext(64).build()));
        assertNames(
                "--numerics",
                refused(CompileSettings.builder(fsir, jar).numerics("f32").build()));
        assertNames(
                "--kv-cache",
                refused(CompileSettings.builder(onnx, jar).kvCache("f16").build()));
        assertNames(
                "--max-batch-tokens",
                refused(CompileSettings.builder(fsir, jar).maxBatchTokens(8).build()));
        assertNames(
                "--bind",
                refused(CompileSettings.builder(fsir, jar)
                        .bindings(Map.of("x", dir.resolve("x.npy")))
                        .build()));
        assertNames(
                "--arch",
                refused(CompileSettings.builder(onnx, jar).arch("sm_80").build()));
        assertNames(
                "--gemm",
                refused(CompileSettings.builder(onnx, jar).gemm("generated").build()));
        assertNames(
                "--dump-cuda",
                refused(CompileSettings.builder(onnx, jar).dumpCuda(dir).build()));
        assertNames(
                "--numerics llama-cpp",
                refused(CompileSettings.builder(empty("d.gguf"), jar)
                        .target(Target.CUDA)
                        .numerics("llama-cpp")
                        .build()));
    }

    @Test
    void cudaOptionsAreCheckedBeforeAnyWork() throws Exception {
        Path fsir = TinyModels.fsir(dir.resolve("tiny.fsir"), 0);
        Path dumps = dir.resolve("dumps");
        assertNames(
                "--gemm cublas",
                refused(CompileSettings.builder(fsir, dir.resolve("m.jar"))
                        .target(Target.CUDA)
                        .gemm("cublas")
                        .dumpIr(dumps)
                        .build()));
        assertNames(
                "--arch",
                refused(CompileSettings.builder(fsir, dir.resolve("m.jar"))
                        .target(Target.CUDA)
                        .arch("h100")
                        .dumpIr(dumps)
                        .build()));
        assertFalse(Files.exists(dumps), "no pass ran");
    }

    @Test
    void fsirInputsRunTheTargetsPipeline() {
        Path jar = Path.of("m.jar");
        List<String> cuda = names(Pipelines.cudaDefault(CudaBackend.fusionRules()));
        assertEquals(
                cuda,
                names(CompileDriver.pipeline(CompileSettings.builder(Path.of("m.fsir"), jar)
                        .target(Target.CUDA)
                        .build())));
        assertEquals(
                cuda.subList(4, cuda.size()),
                names(CompileDriver.pipeline(CompileSettings.builder(Path.of("out/04-dce.fsir"), jar)
                        .target(Target.CUDA_JAVA)
                        .build())));
        List<String> cpu = names(Pipelines.cpuDefault());
        assertEquals(
                cpu.subList(4, cpu.size()),
                names(CompileDriver.pipeline(
                        CompileSettings.builder(Path.of("out/04-dce.fsir"), jar).build())));
        // A dump the CPU pipeline wrote after a pass CUDA does not run cannot be resumed for CUDA.
        int quantGemm = cpu.indexOf("quant-gemm") + 1;
        Path cpuDump = Path.of(String.format("%02d-quant-gemm.fsir", quantGemm));
        FscException e = assertThrows(
                FscException.class,
                () -> CompileDriver.pipeline(CompileSettings.builder(cpuDump, jar)
                        .target(Target.CUDA)
                        .build()));
        assertNames("--target cuda pipeline", e);
    }

    @Test
    void fsirCompiledForCudaCarriesTheCudaCodeAndRanNoCpuOnlyPass() throws Exception {
        Path fsir = TinyModels.fsir(dir.resolve("ir/04-dce.fsir"), 0);
        Path jar = dir.resolve("cuda.jar");
        CompileResult r = CompileDriver.compile(
                CompileSettings.builder(fsir, jar).target(Target.CUDA_JAVA).build(), CompileProgress.SILENT);
        try (JarFile j = new JarFile(jar.toFile())) {
            assertNotNull(j.getEntry("fsc/cuda/target.json"));
        }
        String report = r.passReport();
        assertFalse(report.contains("layout"), report);
        assertTrue(report.contains("plan-memory"), report);
    }

    @Test
    void fsirHonoursBoundsOfItsSymbolsAndRefusesOthers() throws Exception {
        Path fsir = TinyModels.fsir(dir.resolve("tiny.fsir"), 0);
        CompileResult r = CompileDriver.compile(
                CompileSettings.builder(fsir, dir.resolve("a.jar"))
                        .bounds(Map.of("S", 4L))
                        .build(),
                CompileProgress.SILENT);
        assertEquals(4L, r.graph().symbols().get("S"));
        assertNames(
                "--bound Q",
                refused(CompileSettings.builder(fsir, dir.resolve("b.jar"))
                        .bounds(Map.of("Q", 4L))
                        .build()));
    }

    @Test
    void checkPassesRunsOnFsirInputs() throws Exception {
        Path fsir = TinyModels.fsir(dir.resolve("tiny.fsir"), 0);
        List<String> reports = new ArrayList<>();
        CompileDriver.compile(
                CompileSettings.builder(fsir, dir.resolve("c.jar"))
                        .checkPasses(true)
                        .build(),
                new CompileProgress() {
                    @Override
                    public void step(String message) {}

                    @Override
                    public void report(String text) {
                        reports.add(text);
                    }
                });
        assertEquals(1, reports.size());
        assertTrue(reports.getFirst().contains("fold"), reports.getFirst());
    }

    @Test
    void progressNamesOnlyFilesThatExistAndNoTemporaryIsLeft() throws Exception {
        Path fsir = TinyModels.fsir(dir.resolve("tiny.fsir"), 0);
        Path out = dir.resolve("out");
        List<String> steps = new ArrayList<>();
        CompileDriver.compile(
                CompileSettings.builder(fsir, out.resolve("t.jar")).build(), new CompileProgress() {
                    @Override
                    public void step(String message) {
                        steps.add(message);
                    }

                    @Override
                    public void report(String text) {}
                });
        assertEquals("wrote " + out.resolve("t.jar"), steps.getLast());
        assertTrue(Files.isRegularFile(out.resolve("t.jar")));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(out.resolve("t.jar")), files.toList());
        }
        // The jar is as readable as any file the user creates there (a temporary file's owner-only
        // permissions must not carry over).
        Path plain = Files.createFile(dir.resolve("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(out.resolve("t.jar")));
    }

    private static List<String> names(List<Pass> passes) {
        return passes.stream().map(Pass::name).toList();
    }

    /** {@code --decoder} (kv-paging) takes the decoder bounds; what its path does not do yet is refused by name. */
    @Test
    void onnxDecoderTakesTheDecoderBoundsAndRefusesTheRest() throws Exception {
        Path onnx = empty("d.onnx");
        Path fsir = empty("d.fsir");
        Path jar = dir.resolve("d.jar");
        CompileSettings bounded = CompileSettings.builder(onnx, jar)
                .decoder(DecoderOptions.defaults())
                .maxContext(64)
                .maxBatchTokens(8)
                .build();
        Applicability.check(bounded);
        assertEquals(64, DecoderCompile.options(bounded).maxContext());
        assertEquals(8, DecoderCompile.options(bounded).maxBatchTokens());
        assertNames(
                "--decoder",
                refused(CompileSettings.builder(fsir, jar)
                        .decoder(DecoderOptions.defaults())
                        .build()));
        assertNames(
                "--quantize",
                refused(CompileSettings.builder(onnx, jar)
                        .decoder(DecoderOptions.defaults())
                        .quantize(new QuantizeOptions("int8", null, null))
                        .build()));
        assertNames(
                "--check-passes",
                refused(CompileSettings.builder(onnx, jar)
                        .decoder(DecoderOptions.defaults())
                        .checkPasses(true)
                        .build()));
        assertNames(
                "--target cuda",
                refused(CompileSettings.builder(onnx, jar)
                        .decoder(DecoderOptions.defaults())
                        .target(Target.CUDA)
                        .build()));
    }
}
