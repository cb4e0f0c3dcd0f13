package fsc.tests.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import fsc.compiler.CompileDriver;
import fsc.compiler.CompileProgress;
import fsc.compiler.CompileSettings;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.runtime.json.Json;
import fsc.tests.TestModels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Node client ({@code openai} 7.60.0 from npm) against {@code fsc serve} on
 * 127.0.0.1, run as a user runs it (a child JVM of the CLI, two models, API keys): it lists the
 * models, completes, chats with and without streaming (with logprobs and the usage chunk), embeds,
 * and gets OpenAI-typed errors for an unknown model (404) and a bad key (401). Needs {@code node}
 * on PATH and the client, which {@code tests/scripts/fetch-cnn-models.sh --openai} installs into
 * {@code ~/.cache/fsc/npm/openai-7.60.0} (the test runs it when the client is missing); without
 * them it fails saying what is missing, never skips.
 */
class OpenAiClientTest {
    private static final String VERSION = "7.60.0";
    private static final String KEY = "sk-fsc-test-4e7a1c9b0d2f";
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    private static Path gguf() {
        String root = System.getProperty("fsc.shared.data");
        Path base = root != null ? Path.of(root) : ROOT.resolve("../shared/data");
        return base.resolve("gguf/stories260K.gguf").toAbsolutePath().normalize();
    }

    private static Path node() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "node");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail("OpenAiClientTest needs Node.js: no 'node' on PATH (install Node 20+; the client is"
                + " the official npm package openai@" + VERSION + ")");
    }

    private static Path client() throws Exception {
        Path dir = Path.of(System.getProperty(
                "fsc.openai.client", System.getProperty("user.home") + "/.cache/fsc/npm/openai-" + VERSION));
        Path pkg = dir.resolve("node_modules/openai/package.json");
        if (!Files.isRegularFile(pkg)) {
            Path script = ROOT.resolve("tests/scripts/fetch-cnn-models.sh");
            Process p = new ProcessBuilder("bash", script.toString(), "--openai", dir.toString())
                    .inheritIO()
                    .start();
            if (p.waitFor() != 0 || !Files.isRegularFile(pkg)) {
                fail("the OpenAI client openai@" + VERSION + " is missing from " + dir + " and " + script
                        + " --openai could not install it (needs npm and its registry)");
            }
        }
        return dir;
    }

    @Test
    void theOfficialClientListsCompletesChatsStreamsAndEmbeds() throws Exception {
        Path node = node();
        Path client = client();
        Path gguf = gguf();
        assertTrue(Files.isRegularFile(gguf), "test data missing: " + gguf);
        Path dir = Files.createTempDirectory("fsc-openai");
        Path stories = dir.resolve("stories.jar");
        CompileDriver.compile(
                CompileSettings.builder(gguf, stories)
                        .decoder(new DecoderOptions(256, 64, 4, 16))
                        .build(),
                CompileProgress.SILENT);
        Path keys = dir.resolve("keys.txt");
        Files.writeString(keys, "# name key requests/s tokens/min class\ntester " + KEY + " - - interactive\n");
        List<String> argv = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx2g",
                "-Dfsc.home=" + ROOT, // MiniLM compiles into the shared .fsc-cache once
                "-cp",
                System.getProperty("java.class.path"),
                "fsc.cli.Main",
                "serve",
                stories.toString(),
                "minilm=" + TestModels.minilm(),
                "--tokenizer",
                TestModels.minilmTokenizer().toString(),
                "--api-keys",
                keys.toString(),
                "--port",
                "0",
                // A loaded build machine makes the first steps slow; this test checks the API, not admission.
                "--no-admission-control",
                "--quiet"));
        Path log = dir.resolve("serve.log");
        Process server = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            int port = awaitPort(server, log);
            ProcessBuilder pb = new ProcessBuilder(node.toString(), script(dir).toString())
                    .redirectError(dir.resolve("node.err").toFile());
            pb.environment().put("FSC_OPENAI_DIR", client.toString());
            pb.environment().put("FSC_BASE_URL", "http://127.0.0.1:" + port + "/v1");
            pb.environment().put("FSC_API_KEY", KEY);
            pb.environment().put("FSC_CHAT_MODEL", "stories");
            pb.environment().put("FSC_EMBED_MODEL", "minilm");
            Process p = pb.start();
            p.getOutputStream().close();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the node client did not finish in 300 s");
            }
            assertEquals(0, p.exitValue(), () -> "node failed: " + read(dir.resolve("node.err")) + "\n" + read(log));
            check(out);
            String access = read(log);
            assertTrue(access.contains("caller=tester"), access);
            assertTrue(!access.contains(KEY), "the API key reached the log");
        } finally {
            server.destroy(); // SIGTERM: the shutdown hook drains and stops
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private static Path script(Path dir) throws IOException {
        Path s = dir.resolve("openai-client.cjs");
        try (InputStream in = OpenAiClientTest.class.getResourceAsStream("openai-client.cjs")) {
            Files.write(s, in.readAllBytes());
        }
        return s;
    }

    private static void check(String json) {
        Map<?, ?> r = (Map<?, ?>) Json.parse(json.strip());
        assertEquals(List.of("stories", "minilm"), r.get("models"));
        Map<?, ?> c = (Map<?, ?>) r.get("completion");
        assertEquals("stories", c.get("model"));
        assertEquals(8L, ((Map<?, ?>) c.get("usage")).get("completion_tokens"));
        assertTrue(!((String) c.get("text")).isEmpty());
        Map<?, ?> chat = (Map<?, ?>) r.get("chat");
        assertEquals("chat.completion", chat.get("object"));
        assertEquals("assistant", chat.get("role"));
        assertEquals("stories", chat.get("model"));
        assertEquals(8L, chat.get("logprobs"));
        assertEquals(2L, chat.get("top"));
        Map<?, ?> stream = (Map<?, ?>) r.get("stream");
        assertEquals("length", stream.get("finish"));
        assertEquals(8L, ((Map<?, ?>) stream.get("usage")).get("completion_tokens"));
        assertEquals(11L, stream.get("chunks"), "role, 8 tokens, finish, usage");
        Map<?, ?> e = (Map<?, ?>) r.get("embeddings");
        assertEquals("minilm", e.get("model"));
        assertEquals(2L, e.get("count"));
        assertEquals(384L, e.get("dims"));
        Map<?, ?> missing = (Map<?, ?>) r.get("missing");
        assertEquals(404L, missing.get("status"));
        assertEquals("model_not_found", missing.get("code"));
        assertEquals("NotFoundError", missing.get("name"));
        Map<?, ?> bad = (Map<?, ?>) r.get("badKey");
        assertEquals(401L, bad.get("status"));
        assertEquals("AuthenticationError", bad.get("name"));
    }

    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    /** Copies the server's output to {@code log} and returns its port once it listens. */
    private static int awaitPort(Process p, Path log) throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r =
                            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    var w = Files.newBufferedWriter(log)) {
                for (String line; (line = r.readLine()) != null; ) {
                    w.write(line);
                    w.newLine();
                    w.flush();
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException e) {
                port.completeExceptionally(e);
            }
            port.completeExceptionally(new IllegalStateException("fsc serve exited before listening"));
        });
        try {
            return port.get(600, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("fsc serve did not start: " + e.getMessage() + "\n" + read(log), e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }
}
