package fsc.cli.loadtest;

/**
 * What one request saw, in milliseconds from the start of the test.
 *
 * @param outcome {@code ok}, {@code rejected} (429/503), {@code error} (4xx/5xx or an error event) or {@code disconnected} (by us)
 * @param tbtMs gaps between consecutive token events
 * @param error why an {@code error} outcome happened (the server's message or the I/O failure); null otherwise
 */
public record RequestResult(
        String priority,
        int promptWords,
        int maxTokens,
        double startMs,
        String outcome,
        int status,
        int tokens,
        double ttftMs,
        double e2eMs,
        double[] tbtMs,
        String error) {}
