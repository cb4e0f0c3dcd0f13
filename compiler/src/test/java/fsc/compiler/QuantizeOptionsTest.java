package fsc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quantization options that do not apply are refused in one line naming the option, before any
 * work (the input files here are empty: a refusal must come before reading them).
 */
class QuantizeOptionsTest {
    @TempDir
    Path dir;

    private Path empty(String name) throws Exception {
        return Files.createFile(dir.resolve(name));
    }

    private void refused(String option, CompileSettings.Builder b) {
        FscException e =
                assertThrows(FscException.class, () -> CompileDriver.compile(b.build(), CompileProgress.SILENT));
        assertEquals(1, e.oneLine().lines().count(), e.oneLine());
        assertTrue(e.oneLine().contains(option), "'" + option + "' not named in: " + e.oneLine());
    }

    private static QuantizeOptions q(String mode, Path report, String budget) {
        return new QuantizeOptions(mode, report, budget);
    }

    @Test
    void optionsThatDoNotApplyAreRefusedByName() throws Exception {
        Path onnx = empty("m.onnx");
        Path jar = dir.resolve("m.jar");
        refused("--quant-report", CompileSettings.builder(onnx, jar).quantize(q(null, dir, null)));
        refused("--accuracy-budget", CompileSettings.builder(onnx, jar).quantize(q(null, null, "cos=0.99")));
        refused("--accuracy-budget", CompileSettings.builder(onnx, jar).quantize(q("int8", null, "cos=0.99")));
        refused("--quantize int3", CompileSettings.builder(onnx, jar).quantize(q("int3", null, null)));
        Path gguf = empty("d.gguf");
        refused("--quantize int8", CompileSettings.builder(gguf, jar).quantize(q("int8", null, null)));
        refused("--accuracy-budget", CompileSettings.builder(gguf, jar).quantize(q("auto", null, "cos=0.99")));
        refused("--accuracy-budget", CompileSettings.builder(gguf, jar).quantize(q("q8_0", null, "kl=0.01")));
        refused(
                "--calibrate",
                CompileSettings.builder(gguf, jar).quantize(new QuantizeOptions("q8_0", null, null, dir, null)));
        refused("--quantize q8_0", CompileSettings.builder(onnx, jar).quantize(q("q8_0", null, null)));
        refused("--quantize q5_k", CompileSettings.builder(gguf, jar).quantize(q("q5_k", null, null)));
        refused(
                "--quantize",
                CompileSettings.builder(gguf, jar).target(Target.CUDA).quantize(q("q8_0", null, null)));
        refused("--quantize", CompileSettings.builder(empty("m.fsir"), jar).quantize(q("int8", null, null)));
        refused(
                "--quantize",
                CompileSettings.builder(onnx, jar).target(Target.CUDA).quantize(q("int8", null, null)));
        refused(
                "--quantize",
                CompileSettings.builder(onnx, jar).passes(List.of("fold")).quantize(q("int8", null, null)));
        refused(
                "--check-passes",
                CompileSettings.builder(onnx, jar).checkPasses(true).quantize(q("int4", null, null)));
        refused("--accuracy-budget", CompileSettings.builder(onnx, jar).quantize(q("auto", null, "kl=0.1")));
        refused(
                "--calibrate",
                CompileSettings.builder(onnx, jar).quantize(new QuantizeOptions(null, null, null, dir, null)));
        refused(
                "--calibration-method",
                CompileSettings.builder(onnx, jar).quantize(new QuantizeOptions("int8", null, null, null, "entropy")));
        refused(
                "--calibration-method",
                CompileSettings.builder(onnx, jar).quantize(new QuantizeOptions("int4", null, null, dir, "entropy")));
        refused(
                "--calibration-method",
                CompileSettings.builder(onnx, jar).quantize(new QuantizeOptions("int8", null, null, dir, "kl")));
        refused(
                "--calibrate",
                CompileSettings.builder(onnx, jar)
                        .quantize(new QuantizeOptions("int8", null, null, dir.resolve("absent"), null)));
        refused("--accuracy-budget", CompileSettings.builder(onnx, jar).quantize(q("auto", null, "cos=1.5")));
        refused(
                "--quant-steps",
                CompileSettings.builder(onnx, jar).quantize(new QuantizeOptions("int8", null, null, null, null, 8)));
        refused(
                "--quant-steps",
                CompileSettings.builder(gguf, jar).quantize(new QuantizeOptions(null, null, null, null, null, 8)));
        refused(
                "--quant-steps 1",
                CompileSettings.builder(gguf, jar).quantize(new QuantizeOptions("q8_0", null, null, null, null, 1)));
    }

    @Test
    void timingOptionsThatDoNotApplyAreRefusedByName() throws Exception {
        Path onnx = empty("t.onnx");
        Path jar = dir.resolve("t.jar");
        refused(
                "--no-quant-speed",
                CompileSettings.builder(onnx, jar)
                        .quantize(new QuantizeOptions(null, null, null, null, null, null, false, null)));
        refused(
                "--quant-threads",
                CompileSettings.builder(onnx, jar)
                        .quantize(new QuantizeOptions(null, null, null, null, null, null, null, 2)));
        refused(
                "--quant-threads",
                CompileSettings.builder(onnx, jar)
                        .quantize(new QuantizeOptions("int8", null, null, null, null, null, false, 2)));
        refused(
                "--quant-threads 0",
                CompileSettings.builder(onnx, jar)
                        .quantize(new QuantizeOptions("int8", null, null, null, null, null, null, 0)));
        refused(
                "--quant-threads 257",
                CompileSettings.builder(onnx, jar)
                        .quantize(new QuantizeOptions("int8", null, null, null, null, null, null, 257)));
        Path gguf = empty("t.gguf");
        refused(
                "--no-quant-speed",
                CompileSettings.builder(gguf, jar)
                        .quantize(new QuantizeOptions("q8_0", null, null, null, null, null, false, null)));
        refused(
                "--quant-threads",
                CompileSettings.builder(gguf, jar)
                        .quantize(new QuantizeOptions("q8_0", null, null, null, null, null, null, 2)));
        // The edge profile quantizes an ONNX model itself: its timing can be switched off without --quantize.
        CompileSettings edge = CompileSettings.builder(onnx, jar)
                .profile("edge")
                .quantize(new QuantizeOptions(null, null, null, null, null, null, false, null))
                .build();
        Applicability.check(edge);
        QuantizeOptions q = EdgeProfile.effective(edge).quantize();
        assertEquals("int8", q.mode());
        assertEquals(false, q.timed(), "--no-quant-speed kept under the profile");
    }

    @Test
    void timingIsOnWithOneThreadUnlessSaidOtherwiseAndChangesTheCacheKey() {
        QuantizeOptions plain = new QuantizeOptions("int8", null, null);
        assertTrue(plain.timed());
        assertEquals(1, plain.timingThreads());
        QuantizeOptions off = new QuantizeOptions("int8", null, null, null, null, null, false, null);
        QuantizeOptions two = new QuantizeOptions("int8", null, null, null, null, null, null, 2);
        assertEquals(2, two.timingThreads());
        assertTrue(!plain.fingerprint().equals(off.fingerprint())
                && !plain.fingerprint().equals(two.fingerprint()));
    }

    @Test
    void budgetsParse() {
        assertEquals(0.995, AccuracyBudget.parse("cos=0.995").minCosine());
        assertThrows(FscException.class, () -> AccuracyBudget.parse("cos=x"));
        assertEquals(0.01, AccuracyBudget.parse("kl=0.01").maxKl());
        assertEquals("kl=0.01", AccuracyBudget.parse(" kl=0.01 ").toString());
        assertThrows(FscException.class, () -> AccuracyBudget.parse("kl=0"));
        assertThrows(FscException.class, () -> AccuracyBudget.parse("kl=NaN"));
        assertThrows(FscException.class, () -> AccuracyBudget.parse("kl=Infinity"));
        assertThrows(FscException.class, () -> AccuracyBudget.parse("ppl=1.1"));
        assertThrows(IllegalStateException.class, () -> AccuracyBudget.parse("kl=0.01")
                .minCosine());
    }
}
