package fsc.tests.fuzz;

import fsc.ir.FscException;
import fsc.runtime.RuntimeFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What every parser owes a hostile input: it either reads it, or throws the user-error type
 * ({@link FscException} at compile time, {@link RuntimeFailure} in the runtime) with a one-line
 * message. Anything else (an {@code ArithmeticException}, an out-of-bounds index, a
 * {@code StackOverflowError}, an {@code OutOfMemoryError}) escapes to the fuzzer as a finding.
 */
final class ParserContract {
    private ParserContract() {}

    interface Parse {
        void run() throws Exception;
    }

    /** Runs {@code p}; returns normally when it parsed or failed as a user error with one line. */
    static void check(Parse p) throws Exception {
        String message;
        try {
            p.run();
            return;
        } catch (FscException e) {
            message = e.oneLine();
        } catch (RuntimeFailure e) {
            message = e.getMessage();
        }
        // The CLI folds and escapes the text into one line (ErrorLine); what it needs is some text.
        if (message == null || message.isBlank()) {
            throw new AssertionError("a user error without a message");
        }
    }

    /** {@code bytes} as a file named {@code name} in a fresh folder under {@code root}. */
    static Path write(Path root, String name, byte[] bytes) {
        try {
            Path dir = Files.createTempDirectory(root, "in");
            Path f = dir.resolve(name);
            Files.write(f, bytes);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes what {@link #write} made. */
    static void delete(Path file) {
        try (var s = Files.walk(file.getParent())) {
            s.sorted(java.util.Comparator.reverseOrder())
                    .forEach(q -> q.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
