package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import fsc.runtime.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small HTTP helpers: bounded body reads, JSON answers and OpenAI-style error objects. */
final class HttpIo {
    private HttpIo() {}

    /** A request the client must fix: answered with 400 and this message. */
    static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    static String body(HttpExchange ex, int limit) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            int n;
            while ((n = in.read(chunk)) > 0) {
                if (buf.size() + n > limit) {
                    throw new BadRequest("the request body exceeds " + limit + " bytes");
                }
                buf.write(chunk, 0, n);
            }
            return buf.toString(StandardCharsets.UTF_8);
        }
    }

    static void json(HttpExchange ex, int status, Object value) throws IOException {
        send(ex, status, "application/json", Json.write(value));
    }

    static void send(HttpExchange ex, int status, String type, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    /** {@code {"error": {"message", "type", "code"}}}, with {@code Retry-After} when given. */
    static void error(HttpExchange ex, int status, String message, int retryAfter) throws IOException {
        if (retryAfter > 0) {
            ex.getResponseHeaders().set("Retry-After", Integer.toString(retryAfter));
        }
        json(ex, status, errorObject(status, message));
    }

    static Map<String, Object> errorObject(int status, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", message);
        e.put(
                "type",
                switch (status) {
                    case 400, 404, 405 -> "invalid_request_error";
                    case 429 -> "overloaded";
                    case 503 -> "unavailable";
                    default -> "server_error";
                });
        e.put("code", status);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", e);
        return m;
    }
}
