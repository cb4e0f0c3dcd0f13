package fsc.runtime.llm;

/**
 * The acceptance rule of speculative sampling (Leviathan, Kalman and Matias, "Fast Inference from
 * Transformers via Speculative Decoding", 2023): draft token {@code d} drawn from the draft's
 * distribution {@code q} is kept with probability {@code min(1, p(d) / q(d))}, where {@code p} is
 * the target's distribution at the same position; at the first rejection the next token is drawn
 * from the residual {@code max(0, p - q)} renormalised, and when every draft token is kept one more
 * is drawn from the target's distribution after the last of them. Each emitted token is then
 * distributed exactly as the target alone would sample it. Greedy decoding is the special case of
 * one-hot {@code p} and {@code q}: a draft token is kept iff it is the target's argmax, and the
 * correction is the target's argmax.
 */
public final class DraftVerifier {
    /** {@code accepted} leading draft tokens are kept; {@code next} follows them. */
    public record Verdict(int accepted, int next) {}

    private DraftVerifier() {}

    /**
     * @param target {@code k + 1} rows of the target's probabilities: row {@code i} is the
     *     distribution of the token after the {@code i}-th verified token (the last committed one, then
     *     each draft token)
     * @param draft {@code k} rows of the draft's probabilities, row {@code i} the one {@code drafted[i]}
     *     was drawn from
     * @param residual scratch of at least {@code vocab} doubles
     */
    public static Verdict verify(
            Sampler sampler, double[][] target, double[][] draft, int[] drafted, int k, int vocab, double[] residual) {
        for (int i = 0; i < k; i++) {
            int d = drafted[i];
            double p = target[i][d];
            double q = draft[i][d];
            // q > 0 for a token the draft drew; the guard keeps a degenerate row from dividing by zero.
            boolean keep = q <= 0 ? p > 0 : sampler.uniform() < Math.min(1.0, p / q);
            if (keep) {
                continue;
            }
            double total = 0;
            for (int id = 0; id < vocab; id++) {
                double r = Math.max(0.0, target[i][id] - draft[i][id]);
                residual[id] = r;
                total += r;
            }
            // p == q leaves no residual mass; a rejection is then impossible in exact arithmetic,
            // and drawing from p is the limit of the rule.
            int next = total > 0 ? sampler.draw(residual, vocab, total) : sampler.draw(target[i], vocab, 1.0);
            return new Verdict(i, next);
        }
        return new Verdict(k, sampler.draw(target[k], vocab, 1.0));
    }
}
