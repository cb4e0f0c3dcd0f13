package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The acceptance rule keeps the target's distribution: over many seeded trials, the first token a
 * round emits is distributed as the target's {@code p}, whatever the draft's {@code q}, and the
 * second (after an accepted first) as the target's distribution at that position. Checked with
 * Pearson's chi-square against the 0.001 critical value, so a wrong rule (for example accepting
 * with {@code p/q} uncapped, or drawing the correction from {@code p} instead of the residual)
 * fails by a wide margin while the right one passes for this fixed seed.
 */
class DraftVerifierTest {
    private static final int VOCAB = 5;
    private static final double[] P = {0.40, 0.25, 0.20, 0.10, 0.05};
    private static final double[] Q = {0.10, 0.45, 0.05, 0.30, 0.10};
    /** The target's distribution after an accepted first token (its second row). */
    private static final double[] P2 = {0.05, 0.05, 0.30, 0.30, 0.30};
    /** Chi-square critical value, 4 degrees of freedom, p = 0.001. */
    private static final double CRITICAL = 18.47;

    @Test
    void theFirstEmittedTokenIsDistributedAsTheTarget() {
        Sampler s = new Sampler(new SamplingParams(1f, 0, 1f, 42));
        int trials = 200_000;
        long[] counts = new long[VOCAB];
        double[][] target = {P, P2};
        double[][] draft = {Q};
        int[] drafted = new int[1];
        double[] residual = new double[VOCAB];
        for (int t = 0; t < trials; t++) {
            drafted[0] = s.draw(Q, VOCAB, 1.0);
            DraftVerifier.Verdict v = DraftVerifier.verify(s, target, draft, drafted, 1, VOCAB, residual);
            counts[v.accepted() == 1 ? drafted[0] : v.next()]++;
        }
        double chi = chiSquare(counts, P, trials);
        assertTrue(chi < CRITICAL, "chi-square " + chi + " over " + trials + " trials");
    }

    @Test
    void theTokenAfterAnAcceptedDraftIsDistributedAsTheTargetThere() {
        Sampler s = new Sampler(new SamplingParams(1f, 0, 1f, 9));
        double[][] target = {P, P2, P};
        double[][] draft = {Q, Q};
        int[] drafted = new int[2];
        double[] residual = new double[VOCAB];
        long[] counts = new long[VOCAB];
        long n = 0;
        for (int t = 0; t < 400_000; t++) {
            drafted[0] = s.draw(Q, VOCAB, 1.0);
            drafted[1] = s.draw(Q, VOCAB, 1.0);
            DraftVerifier.Verdict v = DraftVerifier.verify(s, target, draft, drafted, 2, VOCAB, residual);
            if (v.accepted() >= 1) {
                counts[v.accepted() == 2 ? drafted[1] : v.next()]++;
                n++;
            }
        }
        double chi = chiSquare(counts, P2, n);
        assertTrue(chi < CRITICAL, "chi-square " + chi + " over " + n + " second tokens");
    }

    @Test
    void theAcceptanceRateIsTheOverlapOfTheTwoDistributions() {
        // P(accept) = sum_x min(p(x), q(x)) for one draft token.
        double overlap = 0;
        for (int i = 0; i < VOCAB; i++) {
            overlap += Math.min(P[i], Q[i]);
        }
        Sampler s = new Sampler(new SamplingParams(1f, 0, 1f, 5));
        int trials = 100_000;
        int accepted = 0;
        int[] drafted = new int[1];
        for (int t = 0; t < trials; t++) {
            drafted[0] = s.draw(Q, VOCAB, 1.0);
            accepted += DraftVerifier.verify(
                            s, new double[][] {P, P2}, new double[][] {Q}, drafted, 1, VOCAB, new double[VOCAB])
                    .accepted();
        }
        assertEquals(overlap, (double) accepted / trials, 0.01);
    }

    @Test
    void greedyKeepsTheDraftTokensTheTargetsArgmaxAgreesWith() {
        Sampler s = new Sampler(SamplingParams.greedy());
        double[][] target = {oneHot(2), oneHot(4), oneHot(1), oneHot(3)};
        double[][] draft = {oneHot(2), oneHot(4), oneHot(0)};
        DraftVerifier.Verdict v =
                DraftVerifier.verify(s, target, draft, new int[] {2, 4, 0}, 3, VOCAB, new double[VOCAB]);
        assertEquals(2, v.accepted());
        assertEquals(1, v.next(), "the correction is the target's argmax");
        DraftVerifier.Verdict all = DraftVerifier.verify(
                s,
                target,
                new double[][] {oneHot(2), oneHot(4), oneHot(1)},
                new int[] {2, 4, 1},
                3,
                VOCAB,
                new double[VOCAB]);
        assertEquals(3, all.accepted());
        assertEquals(3, all.next(), "the bonus token is the target's argmax after the last draft token");
    }

    private static double[] oneHot(int id) {
        double[] p = new double[VOCAB];
        p[id] = 1;
        return p;
    }

    private static double chiSquare(long[] counts, double[] expected, long n) {
        double chi = 0;
        for (int i = 0; i < counts.length; i++) {
            double e = expected[i] * n;
            chi += (counts[i] - e) * (counts[i] - e) / e;
        }
        return chi;
    }
}
