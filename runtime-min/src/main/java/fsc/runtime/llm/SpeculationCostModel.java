package fsc.runtime.llm;

/**
 * Predicts whether speculative decoding pays, from costs measured while generating: the target's
 * one-token step, its step verifying {@code k + 1} tokens, the draft's one-token step, and the
 * running per-token acceptance rate {@code a}. A round of {@code k} draft tokens yields {@code (1 -
 * a^(k+1)) / (1 - a)} tokens on average (the accepted prefix plus the correction or bonus token)
 * and costs {@code k} draft steps plus one verification; plain decoding yields one token per
 * target step. On a CPU a verification of {@code k + 1} tokens costs well over one step and the
 * draft is rarely cheap enough, so the prediction often says no, and then generation stays plain.
 */
final class SpeculationCostModel {
    /** Weight of a new measurement in the running averages. */
    private static final double RATE = 0.25;

    private double plainMillis = Double.NaN;
    private double verifyMillis = Double.NaN;
    private double draftMillis = Double.NaN;
    private double acceptance = Double.NaN;

    void plainStep(double millis) {
        plainMillis = average(plainMillis, millis);
    }

    void verifyStep(double millis) {
        verifyMillis = average(verifyMillis, millis);
    }

    void draftStep(double millis) {
        draftMillis = average(draftMillis, millis);
    }

    /** One round's outcome: {@code accepted} of {@code drafted} draft tokens kept. */
    void round(int accepted, int drafted) {
        if (drafted > 0) {
            acceptance = average(acceptance, (double) accepted / drafted);
        }
    }

    boolean measured() {
        return !Double.isNaN(plainMillis)
                && !Double.isNaN(verifyMillis)
                && !Double.isNaN(draftMillis)
                && !Double.isNaN(acceptance);
    }

    /** Tokens one round of {@code k} draft tokens yields on average at the running acceptance rate. */
    double tokensPerRound(int k) {
        double a = Math.min(acceptance, 1.0);
        return a >= 1.0 ? k + 1 : (1 - Math.pow(a, k + 1)) / (1 - a);
    }

    /** Plain decoding's time per token over speculation's; NaN until every cost has been measured. */
    double predictedSpeedup(int k) {
        if (!measured()) {
            return Double.NaN;
        }
        double roundMillis = k * draftMillis + verifyMillis;
        return tokensPerRound(k) * plainMillis / roundMillis;
    }

    double acceptance() {
        return acceptance;
    }

    private static double average(double old, double value) {
        return Double.isNaN(old) ? value : old + RATE * (value - old);
    }
}
