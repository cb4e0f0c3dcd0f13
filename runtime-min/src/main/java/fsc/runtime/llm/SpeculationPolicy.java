package fsc.runtime.llm;

/**
 * When to speculate, from a {@link SpeculationCostModel} fed as decoding goes. {@link
 * SpeculativeGenerator.Mode#ALWAYS} always does. {@link SpeculativeGenerator.Mode#AUTO} first
 * measures a few plain steps, then a few rounds (the first of each is not counted: it carries
 * the warm-up of code run for the first time), then speculates only while the model predicts a speed-up. While it predicts none, a
 * probe round runs after {@code probeInterval} plain steps, since acceptance changes with the text;
 * each probe that still says no doubles the interval, so a draft that never pays costs a vanishing
 * share of the time.
 */
public final class SpeculationPolicy {
    static final int FIRST_PROBE_INTERVAL = 32;
    private static final int FIRST_PLAIN_STEPS = 3;
    private static final int FIRST_ROUNDS = 4;

    private final SpeculativeGenerator.Mode mode;
    private final int k;
    private final SpeculationCostModel costs = new SpeculationCostModel();
    private int plainSteps;
    private int rounds;
    private int plainSinceProbe;
    private int probeInterval = FIRST_PROBE_INTERVAL;
    private boolean probing;
    private int timedRounds;

    public SpeculationPolicy(SpeculativeGenerator.Mode mode, int draftTokens) {
        this.mode = mode;
        this.k = draftTokens;
    }

    /** Whether the next step should speculate. */
    public boolean speculate() {
        if (mode == SpeculativeGenerator.Mode.ALWAYS) {
            return true;
        }
        if (plainSteps < FIRST_PLAIN_STEPS) {
            return false;
        }
        if (rounds < FIRST_ROUNDS) {
            return true;
        }
        if (costs.predictedSpeedup(k) >= 1.0) {
            probeInterval = FIRST_PROBE_INTERVAL;
            return true;
        }
        if (plainSinceProbe >= probeInterval) {
            probing = true;
            return true;
        }
        return false;
    }

    /** A plain step took {@code millis} per sequence in it. */
    public void plainStep(double millis) {
        if (plainSteps > 0) {
            costs.plainStep(millis);
        }
        plainSteps++;
        plainSinceProbe++;
    }

    /** A round with all {@code k} draft tokens took {@code millis} per sequence in it. */
    public void roundTime(double millis) {
        if (timedRounds++ > 0) {
            costs.roundTime(millis);
        }
    }

    /** A sequence's round: {@code accepted} of {@code drafted} draft tokens kept. */
    public void round(int accepted, int drafted) {
        costs.round(accepted, drafted);
    }

    /** A speculative step (one or more sequences' rounds) ended. */
    public void roundEnded() {
        rounds++;
        plainSinceProbe = 0; // the interval counts plain steps since the last round
        if (probing) {
            probing = false;
            if (!(costs.predictedSpeedup(k) >= 1.0)) {
                probeInterval = (int) Math.min(1 << 20, 2L * probeInterval);
            }
        }
    }

    /** Plain time per token over speculation's, as last predicted (NaN until measured). */
    public double predictedSpeedup() {
        return costs.predictedSpeedup(k);
    }

    public int plainSteps() {
        return plainSteps;
    }
}
