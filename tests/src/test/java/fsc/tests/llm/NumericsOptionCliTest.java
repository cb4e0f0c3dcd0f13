package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.Main;
import fsc.runtime.json.Json;
import fsc.runtime.llm.LlmConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fsc compile model.gguf --numerics ... --kv-cache ...}: recorded in fsc/llm.json, bad values are one-line errors. */
class NumericsOptionCliTest {
    private static final String FILE = "stories260K.gguf";

    @TempDir
    Path dir;

    private record Outcome(int code, String err) {}

    private static Outcome fsc(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, err.toString());
    }

    private Map<String, Object> compile(String... options) throws Exception {
        Path jar = dir.resolve("m.jar");
        String[] args = new String[5 + options.length];
        args[0] = "compile";
        args[1] = GgufReferences.model(FILE).toString();
        args[2] = "-q";
        args[3] = "-o";
        args[4] = jar.toString();
        System.arraycopy(options, 0, args, 5, options.length);
        Outcome o = fsc(args);
        assertEquals(0, o.code(), o.err());
        try (ZipFile z = new ZipFile(jar.toFile())) {
            String json =
                    new String(z.getInputStream(z.getEntry(LlmConfig.ENTRY)).readAllBytes(), StandardCharsets.UTF_8);
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(json);
            return m;
        }
    }

    @Test
    void defaultIsF32WithAnF32Cache() throws Exception {
        Map<String, Object> m = compile("--max-context", "64");
        assertEquals("f32", m.get("numerics"));
        assertEquals("f32", m.get("kv_type"));
    }

    @Test
    void llamaCppNumericsBringAnF16Cache() throws Exception {
        Map<String, Object> m = compile("--max-context", "64", "--numerics", "llama-cpp");
        assertEquals("llama-cpp", m.get("numerics"));
        assertEquals("f16", m.get("kv_type"));
    }

    @Test
    void anF16CacheAloneKeepsF32Numerics() throws Exception {
        Map<String, Object> m = compile("--max-context", "64", "--kv-cache", "f16");
        assertEquals("f32", m.get("numerics"));
        assertEquals("f16", m.get("kv_type"));
    }

    @Test
    void badValuesAreOneLineErrors() {
        String model = GgufReferences.model(FILE).toString();
        Path jar = dir.resolve("bad.jar");
        assertOneLineError(fsc("compile", model, "-q", "-o", jar.toString(), "--numerics", "fast"), "--numerics");
        assertOneLineError(fsc("compile", model, "-q", "-o", jar.toString(), "--kv-cache", "q8"), "--kv-cache");
        assertOneLineError(
                fsc("compile", model, "-q", "-o", jar.toString(), "--numerics", "llama-cpp", "--kv-cache", "f32"),
                "f16");
    }

    @Test
    void theCudaTargetRefusesLlamaCppNumerics() {
        Outcome o = fsc(
                "compile",
                GgufReferences.model(FILE).toString(),
                "-q",
                "-o",
                dir.resolve("cuda.jar").toString(),
                "--target",
                "cuda",
                "--numerics",
                "llama-cpp");
        assertOneLineError(o, "CUDA");
    }

    private static void assertOneLineError(Outcome o, String mustContain) {
        assertEquals(2, o.code(), "exit code; stderr: " + o.err());
        String err = o.err().strip();
        assertFalse(err.contains("\tat "), "stack trace leaked: " + err);
        assertTrue(err.startsWith("fsc: error: "), err);
        assertTrue(err.contains(mustContain), "'" + mustContain + "' not in: " + err);
    }
}
