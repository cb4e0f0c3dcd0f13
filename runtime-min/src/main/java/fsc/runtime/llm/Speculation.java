package fsc.runtime.llm;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What speculative decoding did in one generation: rounds run, draft tokens proposed and kept,
 * target steps (verifications plus plain one-token steps), and the cost model's last prediction.
 *
 * @param predictedSpeedup plain time per token over speculation's, as the cost model last
 *     predicted it (NaN when it never had all its measurements)
 */
public record Speculation(
        int draftTokensPerRound,
        int rounds,
        int drafted,
        int accepted,
        int targetSteps,
        int plainSteps,
        double predictedSpeedup) {

    /** Share of draft tokens the target kept. */
    public double acceptanceRate() {
        return drafted == 0 ? 0 : (double) accepted / drafted;
    }

    /** Tokens produced per target step ({@code generated} over the target's steps after prefill). */
    public double tokensPerTargetStep(int generated) {
        return targetSteps == 0 ? 0 : (double) generated / targetSteps;
    }

    /** One line for people, appended to the timings line. */
    public String line(int generated) {
        return String.format(
                Locale.ROOT,
                "speculation: %d rounds of %d, accepted %d/%d (%.0f%%), %.2f tokens per target step, %d plain steps,"
                        + " predicted speed-up %s",
                rounds,
                draftTokensPerRound,
                accepted,
                drafted,
                100 * acceptanceRate(),
                tokensPerTargetStep(generated),
                plainSteps,
                Double.isNaN(predictedSpeedup) ? "unmeasured" : String.format(Locale.ROOT, "%.2fx", predictedSpeedup));
    }

    Map<String, Object> toJson(int generated) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("draft_tokens", draftTokensPerRound);
        m.put("rounds", rounds);
        m.put("drafted", drafted);
        m.put("accepted", accepted);
        m.put("acceptance_rate", round(acceptanceRate()));
        m.put("target_steps", targetSteps);
        m.put("plain_steps", plainSteps);
        m.put("tokens_per_target_step", round(tokensPerTargetStep(generated)));
        m.put("predicted_speedup", Double.isNaN(predictedSpeedup) ? null : round(predictedSpeedup));
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
