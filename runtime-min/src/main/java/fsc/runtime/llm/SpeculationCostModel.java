package fsc.runtime.llm;

/**
 * Predicts whether speculative decoding pays, from costs measured while generating: the time of a
 * plain step per token it yields, the time of a whole round (the draft's steps plus the target's
 * verification of {@code k + 1} tokens) per sequence in it, and the running per-token acceptance
 * rate {@code a}. A round of {@code k} draft tokens yields {@code (1 - a^(k+1)) / (1 - a)} tokens
 * on average (the accepted prefix plus the correction or bonus token); plain decoding yields one. On
 * a CPU a verification of {@code k + 1} tokens costs well over one step and a draft is rarely cheap
 * enough, so the prediction often says no, and then decoding stays plain.
 */
public final class SpeculationCostModel {
    /** Weight of a new measurement in the running averages. */
    private static final double RATE = 0.25;

    private double plainMillis = Double.NaN;
    private double roundMillis = Double.NaN;
    private double acceptance = Double.NaN;

    /** A plain step took {@code millis} per sequence in it. */
    public void plainStep(double millis) {
        plainMillis = average(plainMillis, millis);
    }

    /** A full round (all {@code k} draft tokens) took {@code millis} per sequence in it. */
    public void roundTime(double millis) {
        roundMillis = average(roundMillis, millis);
    }

    /** One round's outcome: {@code accepted} of {@code drafted} draft tokens kept. */
    public void round(int accepted, int drafted) {
        if (drafted > 0) {
            acceptance = average(acceptance, (double) accepted / drafted);
        }
    }

    public boolean measured() {
        return !Double.isNaN(plainMillis) && !Double.isNaN(roundMillis) && !Double.isNaN(acceptance);
    }

    /** Tokens one round of {@code k} draft tokens yields on average at the running acceptance rate. */
    public double tokensPerRound(int k) {
        double a = Math.min(acceptance, 1.0);
        return a >= 1.0 ? k + 1 : (1 - Math.pow(a, k + 1)) / (1 - a);
    }

    /** Plain decoding's time per token over speculation's; NaN until every cost has been measured. */
    public double predictedSpeedup(int k) {
        if (!measured()) {
            return Double.NaN;
        }
        return tokensPerRound(k) * plainMillis / roundMillis;
    }

    public double acceptance() {
        return acceptance;
    }

    private static double average(double old, double value) {
        return Double.isNaN(old) ? value : old + RATE * (value - old);
    }
}
