package fsc.runtime.serve;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * Runs before every handler: refuses oversized headers (431) and bodies announced larger than the
 * limit (413) before a byte of them is read, and turns a handler's unexpected exception into one
 * JSON 500 for that request (logged with its stack) instead of a reset connection. Headers past
 * {@link ConnectionLimits#HARD_HEADER_BYTES} never reach here: the JDK server drops the connection.
 */
final class RequestGuard extends Filter {
    private static final System.Logger LOG = System.getLogger(RequestGuard.class.getName());

    private final int maxBodyBytes;

    RequestGuard(int maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public String description() {
        return "header, body-size and failure guard";
    }

    @Override
    public void doFilter(HttpExchange ex, Chain chain) throws IOException {
        try {
            String refusal = headerProblem(ex);
            if (refusal != null) {
                try (ex) {
                    HttpIo.error(ex, 431, refusal, 0);
                }
                return;
            }
            long announced = contentLength(ex);
            if (announced > maxBodyBytes) {
                try (ex) {
                    HttpIo.error(ex, 413, "the request body of " + announced + " bytes exceeds " + maxBodyBytes, 0);
                }
                return;
            }
            if (announced != 0 && !bufferBody(ex)) {
                return;
            }
            chain.doFilter(ex);
        } catch (HttpIo.BadRequest e) {
            // A handler that let a client error escape: still the client's 400, not a reset.
            respondIfPossible(ex, 400, e.getMessage());
        } catch (HttpIo.HttpError e) {
            respondIfPossible(ex, e.status, e.getMessage());
        } catch (RuntimeException e) {
            // A bug of ours, not the client's: the operator needs the stack, the client one line.
            LOG.log(System.Logger.Level.ERROR, "request " + ex.getRequestURI() + " failed", e);
            respondIfPossible(ex, 500, "internal error: " + e.getClass().getSimpleName());
        }
    }

    /**
     * Reads the whole body (a chunked one announces no length) up to the limit and hands the
     * handler an in-memory copy, so a handler never meets a body over the limit; one over it is
     * answered 413 here, while the exchange is still open. False when answered.
     */
    private boolean bufferBody(HttpExchange ex) throws IOException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(maxBodyBytes + 1);
        }
        if (body.length > maxBodyBytes) {
            try (ex) {
                HttpIo.error(ex, 413, "the request body exceeds " + maxBodyBytes + " bytes", 0);
            }
            return false;
        }
        ex.setStreams(new ByteArrayInputStream(body), null);
        return true;
    }

    private static String headerProblem(HttpExchange ex) {
        int count = 0;
        long bytes = 0;
        for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
            for (String v : h.getValue()) {
                count++;
                bytes += h.getKey().length() + v.length() + 4;
            }
        }
        if (count > ConnectionLimits.MAX_HEADERS) {
            return "the request has " + count + " header lines; the limit is " + ConnectionLimits.MAX_HEADERS;
        }
        if (bytes > ConnectionLimits.MAX_HEADER_BYTES) {
            return "the request headers hold " + bytes + " bytes; the limit is " + ConnectionLimits.MAX_HEADER_BYTES;
        }
        return null;
    }

    /** The announced Content-Length, or -1 (chunked or absent: the body reader enforces the limit). */
    private static long contentLength(HttpExchange ex) {
        String v = ex.getRequestHeaders().getFirst("Content-Length");
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1; // the JDK server has already refused a malformed length with 400
        }
    }

    private static void respondIfPossible(HttpExchange ex, int status, String message) {
        try (ex) {
            if (ex.getResponseCode() == -1) {
                HttpIo.error(ex, status, message, 0);
            }
        } catch (IOException | RuntimeException ignored) {
            // The response had started or the client is gone: closing the exchange is all that is left.
        }
    }
}
