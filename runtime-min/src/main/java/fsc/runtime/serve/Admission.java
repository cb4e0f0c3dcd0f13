package fsc.runtime.serve;

/** The scheduler's answer to a new request: accepted, or rejected at once with an HTTP status and a reason. */
public sealed interface Admission {
    record Accepted() implements Admission {}

    /**
     * @param status 429 (overloaded: queue full or predicted TTFT over budget), 503 (draining) or 400 (can never fit)
     * @param retryAfterSeconds the {@code Retry-After} hint, 0 for 400
     */
    record Rejected(int status, String reason, int retryAfterSeconds) implements Admission {}
}
