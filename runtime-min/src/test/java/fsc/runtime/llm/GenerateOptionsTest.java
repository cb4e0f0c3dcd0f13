package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.RuntimeFailure;
import org.junit.jupiter.api.Test;

class GenerateOptionsTest {
    @Test
    void parsesEveryOption() {
        GenerateOptions o = GenerateOptions.parse(new String[] {
            "--prompt",
            "Hi",
            "--max-tokens",
            "5",
            "--temperature",
            "0",
            "--top-k",
            "3",
            "--top-p",
            "0.5",
            "--seed",
            "9",
            "--json",
            "--threads",
            "2",
            "--max-context",
            "100",
            "--kv-memory",
            "2m"
        });
        assertEquals("Hi", o.prompt());
        assertEquals(5, o.maxTokens());
        assertTrue(o.sampling().isGreedy());
        assertEquals(3, o.sampling().topK());
        assertEquals(9, o.sampling().seed());
        assertTrue(o.json());
        assertEquals(2, o.threads());
        assertEquals(100, o.maxContext());
        assertEquals(2L << 20, o.kvMemoryBytes());
        assertNull(GenerateOptions.parse(new String[] {"--help"}));
    }

    @Test
    void memorySizes() {
        assertEquals(2L << 30, GenerateOptions.bytes("2g"));
        assertEquals(512L << 20, GenerateOptions.bytes("512M"));
        assertEquals(64L << 10, GenerateOptions.bytes("64kb"));
        assertEquals(1000, GenerateOptions.bytes("1000"));
        assertThrows(RuntimeFailure.class, () -> GenerateOptions.bytes("lots"));
        assertThrows(RuntimeFailure.class, () -> GenerateOptions.bytes("-1g"));
    }

    @Test
    void errorsNameTheOption() {
        RuntimeFailure e =
                assertThrows(RuntimeFailure.class, () -> GenerateOptions.parse(new String[] {"--max-tokens"}));
        assertTrue(e.getMessage().contains("--max-tokens"));
        assertThrows(RuntimeFailure.class, () -> GenerateOptions.parse(new String[] {"--max-tokens", "3"}));
        assertThrows(RuntimeFailure.class, () -> GenerateOptions.parse(new String[] {"--prompt", "x", "--bogus"}));
    }
}
