package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Expected pass output as {@code .fsir} text under {@code src/test/resources/<pass>/<case>.fsir}.
 * Run the tests with {@code -Dfsc.updateGolden=true} to rewrite the files from the actual output,
 * then review the diff before committing it.
 */
final class GoldenFiles {
    private GoldenFiles() {}

    private static final Path ROOT = Path.of("src", "test", "resources");

    static void assertGolden(String pass, String caseName, String actual) {
        Path file = ROOT.resolve(pass).resolve(caseName + ".fsir");
        try {
            if (Boolean.getBoolean("fsc.updateGolden")) {
                Files.createDirectories(file.getParent());
                Files.writeString(file, actual, StandardCharsets.UTF_8);
                return;
            }
            if (!Files.exists(file)) {
                fail("missing golden file " + file.toAbsolutePath()
                        + "; run with -Dfsc.updateGolden=true to create it");
            }
            assertEquals(Files.readString(file, StandardCharsets.UTF_8), actual, "output differs from " + file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
