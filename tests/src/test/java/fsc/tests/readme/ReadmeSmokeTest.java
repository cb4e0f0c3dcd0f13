package fsc.tests.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every command in README.md's and examples/README.md's code blocks, from the repository root,
 * and checks each exits with 0: the README and the tool cannot drift apart.
 *
 * <p>{@code ./fsc} runs as the launcher does ({@code java ... fsc.cli.Main}) on this build's classes
 * rather than through the script, which would rebuild the CLI from inside the build; the launcher
 * itself is {@link LauncherOutputTest}'s subject. {@code java} is the JDK running the tests.
 * Commands marked {@code [skip: why]} are reported as skipped with that reason; {@code [needs:
 * tool]} runs where the tool is on PATH and is skipped, with the reason, where it is not; a
 * {@code [server]} runs in the background (on a free port in place of the README's 8080) until its
 * block's other commands have run. Outputs land where the README puts them: {@code out/} and jars
 * in the root, all ignored by git.
 */
class ReadmeSmokeTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path LOGS = Path.of(System.getProperty("user.dir"), "target", "readme-smoke");
    private static final String README_PORT = "8080";
    private static final long COMMAND_TIMEOUT_S = 600;

    private static Process server;

    @TestFactory
    Stream<DynamicNode> readmeCommands() throws IOException {
        Files.createDirectories(LOGS);
        List<DynamicNode> files = new ArrayList<>();
        for (String name : List.of("README.md", "examples/README.md")) {
            ReadmeCommands readme = ReadmeCommands.read(ROOT.resolve(name));
            List<DynamicNode> blocks = new ArrayList<>();
            for (ReadmeCommands.Block b : readme.blocks()) {
                blocks.add(DynamicContainer.dynamicContainer(name + " block at line " + b.line(), tests(name, b)));
            }
            files.add(DynamicContainer.dynamicContainer(name, blocks));
        }
        return files.stream();
    }

    /** The README's code must hold commands, and the test must know every marked exception. */
    @Test
    void everyCodeLineIsACommandTheTestCanRun() throws IOException {
        int commands = 0;
        for (String name : List.of("README.md", "examples/README.md")) {
            for (ReadmeCommands.Block b :
                    ReadmeCommands.read(ROOT.resolve(name)).blocks()) {
                assertFalse(b.commands().isEmpty(), name + ": empty code block at line " + b.line());
                for (ReadmeCommands.Command c : b.commands()) {
                    String program = c.words().isEmpty() ? "" : c.words().get(0);
                    assertTrue(
                            List.of("./fsc", "java", "./mvnw").contains(program),
                            name + " " + c.label() + ": the README test runs ./fsc, java and ./mvnw lines only");
                    assertTrue(
                            !program.equals("./mvnw") || c.skip() != null,
                            name + " " + c.label() + ": Maven cannot run inside the build; mark it [skip: why]");
                    commands++;
                }
            }
        }
        assertTrue(commands >= 30, "expected the README's ~30 commands, parsed " + commands);
    }

    private List<DynamicNode> tests(String file, ReadmeCommands.Block block) {
        List<DynamicNode> out = new ArrayList<>();
        int port = -1;
        for (ReadmeCommands.Command c : block.commands()) {
            if (c.server()) {
                port = freePort();
            }
            int p = port;
            out.add(DynamicTest.dynamicTest(c.label(), () -> run(file, c, p)));
        }
        if (port >= 0) {
            out.add(DynamicTest.dynamicTest("stop the server", ReadmeSmokeTest::stopServer));
        }
        return out;
    }

    private static void run(String file, ReadmeCommands.Command c, int port) throws Exception {
        Assumptions.assumeTrue(c.skip() == null, () -> "README marks it [skip: " + c.skip() + "]");
        Assumptions.assumeTrue(
                c.needs() == null || onPath(c.needs()),
                () -> c.needs() + " is not on PATH ([needs: " + c.needs() + "])");
        List<String> words = new ArrayList<>();
        for (String w : c.words()) {
            words.add(port >= 0 ? w.replace(README_PORT, Integer.toString(port)) : w);
        }
        List<String> argv = argv(words);
        Path log = LOGS.resolve(file.replace('/', '_') + "-" + c.line() + ".log");
        ProcessBuilder pb = new ProcessBuilder(argv)
                .directory(ROOT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        if (c.server()) {
            stopServer();
            server = pb.redirectOutput(ProcessBuilder.Redirect.PIPE).start();
            awaitListening(server, log);
            return;
        }
        Process p = pb.start();
        if (!p.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(c.label() + ": still running after " + COMMAND_TIMEOUT_S + " s; output in " + log);
        }
        assertEquals(0, p.exitValue(), () -> c.label() + " exited with " + p.exitValue() + ":\n" + tail(log));
    }

    /** {@code ./fsc ARGS} as the launcher runs it; {@code java ARGS} with this JDK. */
    private static List<String> argv(List<String> words) {
        List<String> argv = new ArrayList<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        argv.add(java);
        switch (words.get(0)) {
            case "./fsc" -> {
                argv.addAll(List.of(
                        "--add-modules",
                        "jdk.incubator.vector",
                        "--enable-native-access=ALL-UNNAMED",
                        "--sun-misc-unsafe-memory-access=allow",
                        "-XX:+UseParallelGC",
                        "-Xss8m",
                        "-Xmx4g",
                        "-Dfsc.home=" + ROOT,
                        "-cp",
                        System.getProperty("java.class.path"),
                        "fsc.cli.Main"));
            }
            case "java" -> {}
            default -> throw new IllegalArgumentException("cannot run " + words.get(0));
        }
        argv.addAll(words.subList(1, words.size()));
        return argv;
    }

    /** Reads the server's output into its log until the "listening" line; fails if it exits first. */
    private static void awaitListening(Process p, Path log) throws Exception {
        CompletableFuture<Boolean> listening = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r =
                            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    var w = Files.newBufferedWriter(log)) {
                for (String line; (line = r.readLine()) != null; ) {
                    w.write(line);
                    w.newLine();
                    w.flush();
                    if (line.contains("listening on http://")) {
                        listening.complete(true);
                    }
                }
            } catch (IOException e) {
                listening.completeExceptionally(e);
            }
            listening.complete(false);
        });
        pump.setDaemon(true);
        pump.start();
        boolean ok = listening.get(COMMAND_TIMEOUT_S, TimeUnit.SECONDS);
        assertTrue(ok, () -> "the server ended without a listening line:\n" + tail(log));
    }

    @AfterAll
    static void stopServer() throws InterruptedException {
        if (server != null) {
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            server = null;
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
