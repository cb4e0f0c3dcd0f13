package fsc.tests.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import fsc.cli.ArtifactLoader;
import fsc.runtime.CompiledModel;
import fsc.runtime.json.Json;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.serve.LlmServing;
import fsc.runtime.serve.ServeOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Jazzer fuzz targets for the HTTP request parsing of {@code fsc serve}, against the real
 * stories260K server on 127.0.0.1. Without {@code JAZZER_FUZZ} each replays its saved corpus under
 * {@code src/test/resources/fsc/tests/serve/HttpRequestFuzzTestInputs/<method>/} (seconds, every
 * build); {@code JAZZER_FUZZ=1} fuzzes the one selected target. The contract: every request gets
 * an answer that is not a 5xx (503 aside: draining) or a closed connection, a 4xx of ours carries a
 * JSON error object, and the server answers {@code /health} after it.
 */
class HttpRequestFuzzTest {
    private static CompiledModel model;
    private static LlmServing serving;

    /** What an answer to a completion body may be: served, refused, or over the limits. */
    private static final Set<Integer> BODY_STATUSES = Set.of(200, 400, 413, 429);

    @BeforeAll
    static void start() throws Exception {
        model = ArtifactLoader.open(ServeSoakTestData.storiesJar(), 1);
        LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
        serving = LlmServing.start(model, config, ServeOptions.defaults().withPort(0));
    }

    @AfterAll
    static void stop() {
        serving.shutdown(1000);
        model.close();
    }

    /** The input is the whole request: request line, headers and body, as the client sends them. */
    @FuzzTest(maxDuration = "10m")
    void rawRequest(byte[] request) throws Exception {
        int status;
        try (SilentCloseable loopback = allowLoopback()) {
            status = exchange(request).status;
        }
        // The JDK server answers 501 for a Transfer-Encoding other than chunked, before any
        // handler runs (RFC 9112 §6.1 asks for it); the one 5xx of the contract, documented.
        boolean unsupportedCoding = new String(request, StandardCharsets.ISO_8859_1)
                .toLowerCase(java.util.Locale.ROOT)
                .contains("transfer-encoding");
        assertTrue(
                status < 500 || status == 503 || status == 501 && unsupportedCoding,
                "status " + status + " for " + printable(request));
        assertHealthy();
    }

    /** The input is the body of a well-formed {@code POST /v1/completions}. */
    @FuzzTest(maxDuration = "10m")
    void completionBody(byte[] body) throws Exception {
        byte[] head = ("POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " + body.length
                        + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[head.length + body.length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        Reply r;
        try (SilentCloseable loopback = allowLoopback()) {
            r = exchange(request);
        }
        assertTrue(BODY_STATUSES.contains(r.status), "status " + r.status + " for " + printable(body) + ": " + r.body);
        if (r.status >= 400) {
            Object doc = Json.parse(r.body);
            assertTrue(doc instanceof Map<?, ?> m && m.get("error") instanceof Map<?, ?>, r.body);
        }
        assertHealthy();
    }

    private record Reply(int status, String body) {}

    /**
     * Sends the request and half-closes, so a request cut short ends at once instead of waiting for
     * the server's 10 s request limit; reads until the server closes. Status -1: no answer.
     */
    private static Reply exchange(byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", serving.port())) {
            s.setSoTimeout(30_000);
            try {
                s.getOutputStream().write(request);
                s.shutdownOutput();
            } catch (IOException answeredEarly) {
                // The server refused and closed before the whole request went out.
            }
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            try {
                s.getInputStream().transferTo(buf);
            } catch (IOException reset) {
                // What arrived before a reset is the answer.
            }
            String text = buf.toString(StandardCharsets.UTF_8);
            if (!text.startsWith("HTTP/1.1 ") || text.length() < 12) {
                return new Reply(-1, text);
            }
            int split = text.indexOf("\r\n\r\n");
            return new Reply(Integer.parseInt(text.substring(9, 12)), split < 0 ? "" : text.substring(split + 4));
        }
    }

    /**
     * The harness itself connects to the server, which Jazzer's SSRF detector (installed while
     * fuzzing) would report: it may connect to the server's port on loopback and nowhere else.
     * Without the fuzzing agent there is no detector to configure.
     */
    private static SilentCloseable allowLoopback() {
        try {
            return BugDetectors.allowNetworkConnections(
                    (host, port) -> (host.equals("127.0.0.1") || host.equals("localhost")) && port == serving.port());
        } catch (IllegalStateException noAgent) {
            return () -> {};
        }
    }

    private static void assertHealthy() throws IOException {
        Reply health;
        try (SilentCloseable loopback = allowLoopback()) {
            health = exchange(
                    "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertEquals(200, health.status, health.body);
    }

    private static String printable(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 300); i++) {
            int c = b[i] & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? Character.toString(c) : String.format("\\x%02x", c));
        }
        return sb.toString();
    }
}
