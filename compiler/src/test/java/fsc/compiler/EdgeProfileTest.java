package fsc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --profile edge} and {@code --memory-cap}: what they set, what they leave, what they refuse. */
class EdgeProfileTest {
    @TempDir
    Path dir;

    private static FscException refused(CompileSettings s) {
        FscException e = assertThrows(FscException.class, () -> CompileDriver.compile(s, CompileProgress.SILENT));
        assertEquals(1, e.oneLine().lines().count(), e.oneLine());
        return e;
    }

    private static void assertNames(String text, FscException e) {
        assertTrue(e.oneLine().contains(text), "'" + text + "' not named in: " + e.oneLine());
    }

    @Test
    void unknownProfilesAndWhatTheProfileDoesNotApplyToAreRefused() throws Exception {
        Path onnx = Files.createFile(dir.resolve("m.onnx"));
        Path fsir = Files.createFile(dir.resolve("m.fsir"));
        Path jar = dir.resolve("m.jar");
        assertNames(
                "--profile edgy",
                refused(CompileSettings.builder(onnx, jar).profile("edgy").build()));
        assertNames(
                "--profile edge",
                refused(CompileSettings.builder(fsir, jar).profile("edge").build()));
        assertNames(
                "--profile edge",
                refused(CompileSettings.builder(onnx, jar)
                        .profile("edge")
                        .target(Target.CUDA)
                        .build()));
        assertNames(
                "--passes",
                refused(CompileSettings.builder(onnx, jar)
                        .profile("edge")
                        .passes(List.of("fuse"))
                        .build()));
        assertNames(
                "--check-passes",
                refused(CompileSettings.builder(onnx, jar)
                        .profile("edge")
                        .checkPasses(true)
                        .build()));
        assertNames(
                "--memory-cap 12Q",
                refused(CompileSettings.builder(onnx, jar).memoryCap("12Q").build()));
        assertNames(
                "--memory-cap -1M",
                refused(CompileSettings.builder(onnx, jar).memoryCap("-1M").build()));
    }

    @Test
    void onnxGetsInt8UnlessAnotherQuantizationIsGiven() {
        Path onnx = Path.of("m.onnx");
        Path jar = Path.of("m.jar");
        CompileSettings s = EdgeProfile.effective(
                CompileSettings.builder(onnx, jar).profile("edge").build());
        assertEquals("int8", s.quantize().mode());
        CompileSettings int4 = EdgeProfile.effective(CompileSettings.builder(onnx, jar)
                .profile("edge")
                .quantize(new QuantizeOptions("int4", null, null))
                .build());
        assertEquals("int4", int4.quantize().mode());
        assertEquals(
                null,
                EdgeProfile.effective(CompileSettings.builder(onnx, jar).build())
                        .quantize()
                        .mode());
    }

    @Test
    void ggufGetsOneSequenceSmallStepsAndAnF16CacheUnlessGiven() {
        Path gguf = Path.of("m.gguf");
        Path jar = Path.of("m.jar");
        CompileSettings s = EdgeProfile.effective(
                CompileSettings.builder(gguf, jar).profile("edge").build());
        DecoderOptions o = DecoderCompile.options(s);
        assertEquals(1, o.maxSequences());
        assertEquals(EdgeProfile.BATCH_TOKENS, o.maxBatchTokens());
        assertEquals(EdgeProfile.BLOCK, o.blockSize());
        assertEquals(DType.F16, o.kvType());
        DecoderOptions given = DecoderCompile.options(EdgeProfile.effective(CompileSettings.builder(gguf, jar)
                .profile("edge")
                .kvCache("f32")
                .maxBatchTokens(128)
                .build()));
        assertEquals(DType.F32, given.kvType());
        assertEquals(128, given.maxBatchTokens());
        assertEquals(1024, EdgeProfile.context(4096));
        assertEquals(512, EdgeProfile.context(512));
    }

    @Test
    void theFirstAxisOfTheInputsIsBoundedByOneUnlessBoundByTheUser() {
        GraphBuilder g = new GraphBuilder("two");
        g.symbol("batch", 64);
        g.symbol("seq", 512);
        Value x = g.input("x", new TensorType(DType.F32, List.of(Dim.sym("batch"), Dim.sym("seq"))));
        g.output(g.node("relu", "relu", List.of(x), Map.of()));
        Graph graph = g.build();
        Path onnx = Path.of("m.onnx");
        Graph one = EdgeProfile.oneSequence(
                graph,
                CompileSettings.builder(onnx, Path.of("m.jar")).profile("edge").build());
        assertEquals(Map.of("batch", 1L, "seq", 512L), one.symbols());
        Graph kept = EdgeProfile.oneSequence(
                graph,
                CompileSettings.builder(onnx, Path.of("m.jar"))
                        .profile("edge")
                        .bounds(Map.of("batch", 4L))
                        .build());
        assertEquals(64L, kept.symbols().get("batch"));
    }

    @Test
    void theMemoryCapRefusesAModelThatNeedsMore() throws Exception {
        Path fsir = TinyModels.fsir(dir.resolve("tiny.fsir"), 0);
        assertEquals(256L << 20, MemoryCap.parse("256M"));
        assertEquals(2L << 30, MemoryCap.parse("2g"));
        assertEquals(1000, MemoryCap.parse("1000"));
        FscException e = refused(CompileSettings.builder(fsir, dir.resolve("small.jar"))
                .memoryCap("100")
                .build());
        assertNames("over --memory-cap 100", e);
        assertTrue(!Files.exists(dir.resolve("small.jar")), "no jar is written over the cap");
        CompileDriver.compile(
                CompileSettings.builder(fsir, dir.resolve("fits.jar"))
                        .memoryCap("1M")
                        .build(),
                CompileProgress.SILENT);
        assertTrue(Files.isRegularFile(dir.resolve("fits.jar")));
    }
}
