package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import fsc.runtime.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
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

    /** A request answered with {@code status} and an OpenAI-style error (code: a string such as "model_not_found", or null). */
    static final class HttpError extends RuntimeException {
        final int status;
        final String code;
        final int retryAfter;

        HttpError(int status, String message) {
            this(status, message, null, 0);
        }

        HttpError(int status, String message, String code) {
            this(status, message, code, 0);
        }

        HttpError(int status, String message, String code, int retryAfter) {
            super(message);
            this.status = status;
            this.code = code;
            this.retryAfter = retryAfter;
        }
    }

    /** Answers {@code e} (status, Retry-After, error object with its code). */
    static void error(HttpExchange ex, HttpError e) throws IOException {
        if (e.retryAfter > 0) {
            ex.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfter));
        }
        Map<String, Object> m = errorObject(e.status, e.getMessage());
        if (e.code != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> inner = (Map<String, Object>) m.get("error");
            inner.put("code", e.code);
        }
        json(ex, e.status, m);
    }

    /** Request JSON nests no deeper than this: no request field needs more, and the check is one cheap scan. */
    static final int MAX_JSON_DEPTH = 16;

    /**
     * The body as strict UTF-8: at most {@code limit} bytes (413 over it: the {@link RequestGuard}
     * refuses bodies over the server-wide limit before a handler runs, a handler refuses those over
     * its model's), malformed bytes a 400 naming their offset rather than silently replaced.
     */
    static String body(HttpExchange ex, int limit) throws IOException {
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            int n;
            while ((n = in.read(chunk)) > 0) {
                if (buf.size() + n > limit) {
                    throw new HttpError(413, "the request body exceeds " + limit + " bytes");
                }
                buf.write(chunk, 0, n);
            }
            bytes = buf.toByteArray();
        }
        return utf8(bytes);
    }

    static String utf8(byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            throw new BadRequest("the body is not valid UTF-8 (byte " + in.position() + ")");
        }
        d.flush(out);
        return out.flip().toString();
    }

    /**
     * Parses a request body as JSON, refusing nesting deeper than {@link #MAX_JSON_DEPTH} before
     * the recursive parser sees it. Every problem is a {@link BadRequest}.
     */
    static Object parseJson(String body) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                if (++depth > MAX_JSON_DEPTH) {
                    throw new BadRequest("the body nests JSON deeper than " + MAX_JSON_DEPTH + " levels");
                }
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
        try {
            return Json.parse(body);
        } catch (RuntimeException e) {
            throw new BadRequest("the body is not JSON: " + e.getMessage());
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
                    case 400, 401, 403, 404, 405, 409, 413, 431 -> "invalid_request_error";
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
