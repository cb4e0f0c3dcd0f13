package fsc.frontend.onnx;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.function.Executable;

/** Shared checks and data locations for the ONNX tests. */
final class OnnxTestSupport {
    private OnnxTestSupport() {}

    /** Runs {@code r}, expecting an {@link FscException} whose one-line message contains {@code expected}. */
    static FscException assertOneLineError(Executable r, String expected) {
        FscException e = assertThrows(FscException.class, r);
        String m = e.getMessage();
        assertFalse(m.contains("\n"), () -> "message spans lines: " + m);
        assertTrue(m.contains(expected), () -> "expected '" + expected + "' in: " + m);
        return e;
    }

    /**
     * The shared test data folder ({@code shared/data} next to the repository). Fails, never skips,
     * when it is missing: these tests exist to run against real files.
     */
    static Path sharedData() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/data");
            if (Files.isDirectory(candidate.resolve("onnx"))) {
                return candidate;
            }
        }
        throw new AssertionError(
                "shared/data/onnx not found above " + Path.of("").toAbsolutePath());
    }

    /** Copies a classpath resource (e.g. the MiniLM model inside its jar) to {@code dir}. */
    static Path resource(String name, Path dir) {
        try (InputStream in = OnnxTestSupport.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new AssertionError("resource " + name + " is not on the test classpath");
            }
            Path out = dir.resolve(name);
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
