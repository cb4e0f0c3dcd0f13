package fsc.runtime.serve;

/**
 * Where an accepted request's output goes. Exactly one of {@link #finished} or {@link #failed} is
 * called, last, for every accepted request: that is the "no request is lost" promise. Called on the
 * engine thread, so implementations must not block (the HTTP layer hands events to a queue).
 */
public interface TokenSink {
    void token(int id);

    /** How many alternatives per token this sink wants log-probabilities for; -1 (the default) for none. */
    default int topLogprobs() {
        return -1;
    }

    /** A token with its log-probabilities (called instead of {@link #token(int)} when {@link #topLogprobs()} ≥ 0). */
    default void token(int id, TokenLogprobs logprobs) {
        token(id);
    }

    /** @param reason {@code "stop"} (end-of-sequence token), {@code "length"} (max tokens or context) or {@code "cancelled"} */
    void finished(String reason);

    void failed(String message);
}
