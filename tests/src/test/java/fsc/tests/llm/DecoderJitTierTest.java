package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.gguf.arch.DecoderNumerics;
import fsc.ir.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A decoder's logits, bit for bit, and so its greedy ids, do not depend on the JIT tier: 24 greedy
 * steps in a fresh child JVM with C1 only ({@code TieredStopAtLevel=1}: no vector intrinsics, so
 * every kernel runs the Vector API's Java fallback, as the interpreter does; {@code -Xint} itself
 * takes minutes here and is covered kernel by kernel in runtime-min's JitTierDeterminismTest) equal
 * the same steps here after enough generations for C2 to compile the kernels with their
 * intrinsics. The f32 model covers the f32 dot and attention kernels; the Q8_0 one with llama.cpp
 * numerics the quantised dots and the f16 cache's attention. A child with the native kernels turned
 * off ({@code -Dfsc.kernels.native=false}) must give the same bits as well.
 */
class DecoderJitTierTest {
    private static final int WARM_RUNS = 60;

    @ParameterizedTest
    @CsvSource({"stories260K.gguf, f32, F32", "stories260K-Q8_0.gguf, llama-cpp, F16"})
    void c1FirstCallEqualsWarmC2(String file, String numerics, String kv) throws Exception {
        Path jar = CompiledDecoders.jar(file, DecoderNumerics.byName(numerics), DType.valueOf(kv));
        String cold = child(jar, "-XX:TieredStopAtLevel=1");
        String warm = DecoderDigest.digest(jar, WARM_RUNS);
        assertEquals(cold, warm, file + " " + numerics + ": C1 only (cold) vs C2 (warm)");
        // The machine-code kernels (quantized matvec, attention tiles, prefill tile) give the
        // Vector API kernels' bits: the same steps with them turned off.
        String vectorApiOnly = child(jar, "-Dfsc.kernels.native=false");
        assertEquals(warm, vectorApiOnly, file + " " + numerics + ": machine-code kernels vs the Vector API forms");
    }

    private static String child(Path jar, String tierFlag) throws Exception {
        List<String> cmd = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                tierFlag,
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                DecoderDigest.class.getName(),
                jar.toString(),
                "1");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child " + tierFlag + " did not finish");
        assertEquals(0, p.exitValue(), out);
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1];
    }
}
