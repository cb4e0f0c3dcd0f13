package fsc.runtime.llm;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What one generation cost: prefill covers the prompt up to the first sampled token (so {@code
 * ttftMillis} is time to first token), decode every token after it.
 */
public record Timings(
        int promptTokens,
        int generatedTokens,
        double ttftMillis,
        double prefillMillis,
        double decodeMillis,
        int kvBlocksUsed,
        int kvBlocksTotal) {

    public double prefillTokensPerSecond() {
        return prefillMillis <= 0 ? 0 : promptTokens * 1000.0 / prefillMillis;
    }

    /** Tokens after the first, over the time they took. */
    public double decodeTokensPerSecond() {
        int n = Math.max(0, generatedTokens - 1);
        return decodeMillis <= 0 ? 0 : n * 1000.0 / decodeMillis;
    }

    /** One line for people. */
    public String line() {
        return String.format(
                Locale.ROOT,
                "prompt %d tokens · TTFT %.1f ms · prefill %.1f tok/s · decode %.1f tok/s (%d tokens) · KV blocks %d/%d",
                promptTokens,
                ttftMillis,
                prefillTokensPerSecond(),
                decodeTokensPerSecond(),
                generatedTokens,
                kvBlocksUsed,
                kvBlocksTotal);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt_tokens", promptTokens);
        m.put("generated_tokens", generatedTokens);
        m.put("ttft_ms", round(ttftMillis));
        m.put("prefill_tok_per_s", round(prefillTokensPerSecond()));
        m.put("decode_tok_per_s", round(decodeTokensPerSecond()));
        m.put("kv_blocks_used", kvBlocksUsed);
        m.put("kv_blocks_total", kvBlocksTotal);
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
