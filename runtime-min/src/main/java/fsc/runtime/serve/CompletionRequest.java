package fsc.runtime.serve;

import fsc.runtime.llm.SamplingParams;

/**
 * One accepted-or-not generation request, already tokenized.
 *
 * @param ttftMs budget for the time to the first token, from arrival (admission rejects requests predicted to miss it)
 * @param tbtMs budget for the time between tokens while it runs (interactive ones size the steps)
 * @param ignoreEos generate {@code maxTokens} tokens even past the end-of-sequence token (load tests of fixed lengths)
 */
public record CompletionRequest(
        long id,
        int[] prompt,
        int maxTokens,
        Priority priority,
        double ttftMs,
        double tbtMs,
        SamplingParams sampling,
        boolean ignoreEos) {

    /** A request that stops at the end-of-sequence token. */
    public CompletionRequest(
            long id,
            int[] prompt,
            int maxTokens,
            Priority priority,
            double ttftMs,
            double tbtMs,
            SamplingParams sampling) {
        this(id, prompt, maxTokens, priority, ttftMs, tbtMs, sampling, false);
    }

    public CompletionRequest {
        prompt = prompt.clone();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("request " + id + " has an empty prompt");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("request " + id + " asks for " + maxTokens + " tokens");
        }
    }

    @Override
    public int[] prompt() {
        return prompt.clone();
    }

    public int promptLength() {
        return prompt.length;
    }
}
