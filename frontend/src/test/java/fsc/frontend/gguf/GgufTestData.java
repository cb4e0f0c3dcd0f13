package fsc.frontend.gguf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared GGUF test models; a test fails, never skips, when they are missing. */
final class GgufTestData {
    private GgufTestData() {}

    static Path gguf(String name) {
        String root = System.getProperty("fsc.shared.data", "../../shared/data");
        Path p = Path.of(root, "gguf", name);
        assertTrue(Files.isRegularFile(p), "test data missing: " + p.toAbsolutePath());
        return p;
    }
}
