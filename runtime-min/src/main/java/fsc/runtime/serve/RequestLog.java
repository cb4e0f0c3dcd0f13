package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;
import java.util.Locale;

/**
 * What the access log says about one request, filled in by the handler as it learns it (model,
 * caller, token counts, time to first token) and written once the exchange ends: one line, {@code
 * key=value} fields. The caller is the key's name from {@code --api-keys}, never the key itself;
 * request bodies are never logged.
 */
final class RequestLog {
    /**
     * The current exchange's log, bound by the server's route wrapper for the handler's run. (Not
     * an exchange attribute: the JDK server keeps those per context, shared by concurrent requests.)
     */
    static final ScopedValue<RequestLog> CURRENT = ScopedValue.newInstance();

    String model = "-";
    String caller = "-";
    int promptTokens;
    int completionTokens;
    double ttftMs = -1;

    /** The log of the exchange being handled; a throwaway one outside a route wrapper. */
    static RequestLog of(HttpExchange ex) {
        return CURRENT.isBound() ? CURRENT.get() : new RequestLog();
    }

    /** The line for a finished exchange. */
    String line(HttpExchange ex, double totalMs) {
        int status = ex.getResponseCode();
        return String.format(
                Locale.ROOT,
                "access method=%s path=%s status=%d model=%s caller=%s prompt_tokens=%d completion_tokens=%d"
                        + " ttft_ms=%s total_ms=%.1f",
                ex.getRequestMethod(),
                ex.getRequestURI().getRawPath(),
                status,
                model,
                caller,
                promptTokens,
                completionTokens,
                ttftMs < 0 ? "-" : String.format(Locale.ROOT, "%.1f", ttftMs),
                totalMs);
    }
}
