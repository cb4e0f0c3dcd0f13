package fsc.runtime.serve;

/**
 * The log-probability of a sampled token and of the {@code top} most likely tokens, from the raw
 * logits (log-softmax before temperature, top-k or top-p, as vLLM reports by default). Computed on
 * the engine thread only for requests that asked for logprobs: one pass for the log-sum-exp and a
 * partial selection of {@code top} ids (top ≤ 20).
 *
 * @param topIds the most likely ids, most likely first (ties by lower id)
 */
public record TokenLogprobs(float logprob, int[] topIds, float[] topLogprobs) {
    static TokenLogprobs of(float[] logits, int offset, int vocab, int token, int top) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        double lse = max + Math.log(sum);
        int k = Math.min(top, vocab);
        int[] ids = new int[k];
        float[] lps = new float[k];
        int filled = 0;
        for (int i = 0; i < vocab; i++) { // insertion into a k-long sorted list: k is small
            float v = logits[offset + i];
            if (filled == k && (k == 0 || v <= logits[offset + ids[k - 1]])) {
                continue;
            }
            int at = Math.min(filled, k - 1);
            while (at > 0 && logits[offset + ids[at - 1]] < v) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
            filled = Math.min(filled + 1, k);
        }
        for (int j = 0; j < k; j++) {
            lps[j] = (float) (logits[offset + ids[j]] - lse);
        }
        return new TokenLogprobs((float) (logits[offset + token] - lse), ids, lps);
    }
}
