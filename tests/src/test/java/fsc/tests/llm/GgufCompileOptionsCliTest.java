package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fsc compile model.gguf} with options a decoder cannot honour: each is refused in one line
 * naming it, exit 2, and no jar is written (issue 16: {@code --check-passes}, {@code --bind} and
 * most {@code --bound} keys were silently dropped and the compile reported success).
 */
class GgufCompileOptionsCliTest {
    private static final String FILE = "stories260K.gguf";

    @TempDir
    Path dir;

    private void assertRefused(String option, String... extra) {
        Path jar = dir.resolve("m.jar");
        String[] args = new String[4 + extra.length];
        args[0] = "compile";
        args[1] = GgufReferences.model(FILE).toString();
        args[2] = "-o";
        args[3] = jar.toString();
        System.arraycopy(extra, 0, args, 4, extra.length);
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
        String e = err.toString().strip();
        assertEquals(2, code, e);
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("fsc: error: "), e);
        assertTrue(e.contains(option), "'" + option + "' not named in: " + e);
        assertFalse(Files.exists(jar), "a refused compile writes no jar");
    }

    @Test
    void checkPassesIsRefused() {
        assertRefused("--check-passes", "--check-passes");
    }

    @Test
    void bindIsRefused() throws Exception {
        assertRefused("--bind", "--bind", "tokens=" + Files.createFile(dir.resolve("t.npy")));
    }

    @Test
    void boundKeysOtherThanTAndContextAreRefused() {
        assertRefused("--bound batch", "--bound", "T=32", "--bound", "batch=4");
    }

    @Test
    void quantizeModesOfOnnxAreRefused() {
        assertRefused("--quantize int8", "--quantize", "int8");
    }

    /** {@code --quantize auto} on a decoder takes a KL budget; a cosine, a bad number or one no mix meets is refused. */
    @Test
    void badKlBudgetsAreRefused() {
        assertRefused("--accuracy-budget", "--quantize", "auto", "--accuracy-budget", "kl=abc");
        assertRefused("--accuracy-budget", "--quantize", "auto", "--accuracy-budget", "kl=0");
        assertRefused("--accuracy-budget", "--quantize", "auto", "--accuracy-budget", "cos=0.99");
        assertRefused("--accuracy-budget", "--quantize", "q8_0", "--accuracy-budget", "kl=0.01");
        assertRefused("--quant-steps", "--quantize", "q8_0", "--quant-steps", "1");
        assertRefused("no assignment meets", "--quantize", "auto", "--accuracy-budget", "kl=1e-9");
    }

    /** llama.cpp would store rows of 64 as Q5_0 (its Q4_K fallback), which fsc does not run. */
    @Test
    void q4_kOnRowsThatAreNotWholeSuperBlocksIsRefused() {
        assertRefused("as Q5_0, which fsc cannot write", "--quantize", "q4_k");
    }

    @Test
    void alreadyQuantizedTensorsAreNotReQuantized() {
        Path jar = dir.resolve("q.jar");
        StringWriter err = new StringWriter();
        int code = Main.execute(
                new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true),
                "compile",
                GgufReferences.model("stories260K-Q8_0.gguf").toString(),
                "-o",
                jar.toString(),
                "--quantize",
                "q4_0");
        String e = err.toString().strip();
        assertEquals(2, code, e);
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.contains("is already Q8_0"), e);
        assertFalse(Files.exists(jar), "a refused compile writes no jar");
    }
}
