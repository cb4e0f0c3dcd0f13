package fsc.tests.readme;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@code ./fsc} launcher filters the JVM's incubator notice out of stderr through {@code grep};
 * a filter that block-buffers would hold back every line while stderr is a pipe (nohup, systemd,
 * containers, a CI log) until the process exits. {@code fsc serve} never exits by itself, so seeing
 * its compile progress and its "listening" line through a pipe at all proves they arrive live.
 */
class LauncherOutputTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    /**
     * An error that echoes NUL and escape bytes from a bad input reaches stderr as one printable line:
     * the CLI escapes them, and the filter is byte-wise (it once printed only "binary file matches").
     */
    @Test
    void anErrorEchoingBinaryBytesArrivesAsOnePrintableLine(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path bad = dir.resolve("bad.fsir");
        Files.write(bad, "graph @m() -> () {\n  \u0000\u001b[2J garbage\n}\n".getBytes(StandardCharsets.ISO_8859_1));
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("fsc").toString(), "inspect", bad.toString())
                .directory(ROOT.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("FSC_SKIP_BUILD", "1");
        Process p = pb.start();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String text = new String(err, StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assertions.assertEquals(2, p.exitValue(), text);
        List<String> lines = text.lines().toList();
        org.junit.jupiter.api.Assertions.assertEquals(1, lines.size(), text);
        assertTrue(lines.getFirst().startsWith("fsc: error: " + bad + ":2:"), text);
        assertTrue(lines.getFirst().contains("\\x00"), text);
        for (byte b : err) {
            assertTrue(b == '\n' || (b >= 0x20 && b != 0x7f), "unprintable byte " + b + " in: " + text);
        }
    }

    @Test
    void serveProgressAndListeningLineArriveThroughAPipeWhileItRuns() throws Exception {
        Path launcher = ROOT.resolve("fsc");
        Path jar = ROOT.resolve("cli/target/fsc.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: the cli module's package phase builds it");
        Path gguf = Path.of(System.getProperty("fsc.shared.data", "../../shared/data"), "gguf", "stories260K.gguf");
        assertTrue(Files.isRegularFile(gguf), gguf + " is missing (../shared/data beside the repository)");
        ProcessBuilder pb = new ProcessBuilder(
                        launcher.toString(),
                        "serve",
                        gguf.toAbsolutePath().toString(),
                        "--port",
                        "0",
                        "--grace-ms",
                        "0")
                .directory(ROOT.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        // The jar the reactor just packaged: never rebuild from inside the build.
        pb.environment().put("FSC_SKIP_BUILD", "1");
        Process p = pb.start();
        List<String> seen = new ArrayList<>();
        CompletableFuture<Boolean> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (seen) {
                        seen.add(line);
                    }
                    if (line.contains("listening on http://")) {
                        listening.complete(p.isAlive());
                    }
                }
            } catch (java.io.IOException e) {
                listening.completeExceptionally(e);
            }
            listening.complete(false);
        });
        reader.setDaemon(true);
        reader.start();
        try {
            // A generous bound for a loaded machine: a held-back line never comes while serve runs.
            boolean live = listening.get(300, TimeUnit.SECONDS);
            synchronized (seen) {
                assertTrue(live, "no 'listening' line while fsc serve ran; stderr was: " + seen);
                assertTrue(
                        seen.stream().anyMatch(l -> l.matches("\\[ *\\d+\\.\\ds] .*")),
                        "no compile progress line before 'listening'; stderr was: " + seen);
                assertTrue(
                        seen.stream().noneMatch(l -> l.contains("Using incubator modules")),
                        "the launcher let the JVM's incubator notice through: " + seen);
            }
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
