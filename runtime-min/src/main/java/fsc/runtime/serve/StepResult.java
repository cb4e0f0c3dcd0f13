package fsc.runtime.serve;

import java.util.Map;

/**
 * What a step gives back: the logits of the plan's logit rows ({@code plan.logitRows().length ×
 * vocab}), and for each decode chunk a speculative step verified (by request id) the tokens it
 * settled on.
 */
public record StepResult(float[] logits, Map<Long, Verified> verified) {

    /** A step without speculation. */
    public static StepResult plain(float[] logits) {
        return new StepResult(logits, Map.of());
    }

    /**
     * @param tokens the accepted draft tokens, then the target's own next token
     * @param drafted draft tokens proposed ({@code tokens.length - 1} of them were accepted)
     */
    public record Verified(int[] tokens, int drafted) {
        public int accepted() {
            return tokens.length - 1;
        }
    }
}
