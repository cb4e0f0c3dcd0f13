package fsc.tests.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.runtime.ArtifactMain;
import fsc.runtime.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code java -jar m.jar generate ...}: the artifact's own command line, as the jar's Main runs it. */
class GenerateCommandLineTest {
    private static final String FILE = "stories260K.gguf";

    @Test
    void jsonOutputCarriesIdsTextAndTimings() {
        Path jar = CompiledDecoders.jar(FILE);
        GgufReferences ref = GgufReferences.forModel(FILE).getFirst();
        Run r = run(jar, "generate", "--prompt", ref.prompt(), "--max-tokens", "12", "--temperature", "0", "--json");
        assertEquals(0, r.code, r.err);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(r.out.trim());
        assertArrayEquals(ref.promptIds(), ints(m.get("prompt_token_ids")));
        int[] expected = java.util.Arrays.copyOf(ref.generatedIds(), 12);
        assertArrayEquals(expected, ints(m.get("generated_token_ids")));
        assertTrue(ref.text().startsWith((String) m.get("text")), m.get("text").toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> t = (Map<String, Object>) m.get("timings");
        assertEquals(5L, t.get("prompt_tokens"));
        assertEquals(12L, t.get("generated_tokens"));
        assertEquals(1L, t.get("kv_blocks_used"));
    }

    @Test
    void streamingPrintsTextThenTheTimingsLine() {
        Run r = run(
                CompiledDecoders.jar(FILE),
                "generate",
                "--prompt",
                "Once upon a time",
                "--max-tokens",
                "6",
                "--temperature",
                "0");
        assertEquals(0, r.code, r.err);
        assertEquals(", there was a little g", r.out.strip()); // 6 tokens end inside "girl"
        assertTrue(r.err.contains("prompt 5 tokens") && r.err.contains("TTFT") && r.err.contains("decode"), r.err);
    }

    @Test
    void aTooSmallKvBudgetIsAOneLineError() {
        // One 16-position block: the prompt fits, generation stops at the 17th position with a hint.
        Run r = run(
                CompiledDecoders.jar(FILE),
                "generate",
                "--prompt",
                "Once upon a time",
                "--max-tokens",
                "40",
                "--temperature",
                "0",
                "--kv-memory",
                "1k");
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("error: KV cache is full") && r.err.contains("--kv-memory"), r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        Run big = run(CompiledDecoders.jar(FILE), "generate", "--prompt", "x", "--max-context", "100000");
        assertEquals(2, big.code);
        assertTrue(big.err.contains("--max-context"), big.err);
    }

    @Test
    void aDraftModelSpeculatesAndReportsIt() {
        GgufReferences ref = GgufReferences.forModel(FILE).getFirst();
        Path draft = CompiledDecoders.jar("stories260K-Q8_0.gguf");
        Run r = run(
                CompiledDecoders.jar(FILE),
                "generate",
                "--prompt",
                ref.prompt(),
                "--max-tokens",
                "20",
                "--temperature",
                "0",
                "--json",
                "--draft",
                draft.toString(),
                "--draft-tokens",
                "3",
                "--speculation",
                "always");
        assertEquals(0, r.code, r.err);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(r.out.trim());
        assertArrayEquals(java.util.Arrays.copyOf(ref.generatedIds(), 20), ints(m.get("generated_token_ids")));
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) m.get("speculation");
        assertEquals(3L, s.get("draft_tokens"));
        assertTrue(((Number) s.get("rounds")).intValue() > 0, s.toString());
        assertTrue(((Number) s.get("tokens_per_target_step")).doubleValue() > 1, s.toString());

        Run plain = run(CompiledDecoders.jar(FILE), "generate", "--prompt", "x", "--draft", draft.toString());
        assertEquals(0, plain.code, plain.err);
        assertTrue(plain.err.contains("speculation:") && plain.err.contains("predicted speed-up"), plain.err);
    }

    @Test
    void speculationOptionsWithoutADraftAreRefused() {
        Run r = run(CompiledDecoders.jar(FILE), "generate", "--prompt", "x", "--draft-tokens", "3");
        assertEquals(2, r.code);
        assertEquals("error: --draft-tokens applies only with --draft JAR", r.err.strip());
        Run mode =
                run(CompiledDecoders.jar(FILE), "generate", "--prompt", "x", "--draft", "d.jar", "--speculation", "x");
        assertEquals(2, mode.code);
        assertTrue(mode.err.contains("--speculation must be auto or always"), mode.err);
        Run missing = run(CompiledDecoders.jar(FILE), "generate", "--prompt", "x", "--draft", "/nonexistent/d.jar");
        assertEquals(2, missing.code);
        assertTrue(missing.err.contains("no such file"), missing.err);
    }

    private record Run(int code, String out, String err) {}

    private static Run run(Path jar, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ArtifactMain.run(
                args,
                t -> ArtifactLoader.open(jar, t),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static int[] ints(Object o) {
        return ((List<?>) o).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }
}
