package fsc.runtime.llm;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits by {@link SamplingParams}. Sampling sorts candidate ids by logit
 * (descending, ties by id) so the result depends only on the logits and the seed.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;

    public Sampler(SamplingParams params) {
        this(params, new SplittableRandom(params.seed()));
    }

    /** A sampler drawing from {@code random} rather than from a generator seeded by {@code params}. */
    public Sampler(SamplingParams params, SplittableRandom random) {
        this.params = params;
        this.random = random;
    }

    /** The next token for the {@code vocab} logits starting at {@code offset}. */
    public int sample(float[] logits, int offset, int vocab) {
        if (params.isGreedy()) {
            return argmax(logits, offset, vocab);
        }
        Candidates c = candidates(logits, offset, vocab);
        double r = random.nextDouble() * c.total;
        for (int i = 0; i < c.cut; i++) {
            r -= c.weights[i];
            if (r < 0) {
                return c.ids[i];
            }
        }
        return c.ids[c.cut - 1];
    }

    /**
     * The distribution {@link #sample} draws from, as {@code out[id]} for the {@code vocab} ids
     * (zero outside the kept set; greedy is all mass on the argmax). Speculative decoding compares
     * the draft's and the target's distributions token by token.
     */
    public void probabilities(float[] logits, int offset, int vocab, double[] out) {
        Arrays.fill(out, 0, vocab, 0);
        if (params.isGreedy()) {
            out[argmax(logits, offset, vocab)] = 1;
            return;
        }
        Candidates c = candidates(logits, offset, vocab);
        for (int i = 0; i < c.cut; i++) {
            out[c.ids[i]] = c.weights[i] / c.total;
        }
    }

    /** One id drawn from {@code p} (non-negative weights over {@code vocab} ids, summing to {@code total}). */
    public int draw(double[] p, int vocab, double total) {
        double r = random.nextDouble() * total;
        int last = -1;
        for (int id = 0; id < vocab; id++) {
            if (p[id] > 0) {
                last = id;
                r -= p[id];
                if (r < 0) {
                    return id;
                }
            }
        }
        if (last < 0) {
            throw new IllegalArgumentException("the distribution has no mass");
        }
        return last; // rounding left r a hair above zero: the last id with mass
    }

    /** A uniform number in [0, 1) from this sampler's seeded generator. */
    public double uniform() {
        return random.nextDouble();
    }

    /** The kept ids, best first, with their unnormalised weights; {@code total} is the kept mass. */
    private record Candidates(Integer[] ids, double[] weights, int cut, double total) {}

    private Candidates candidates(float[] logits, int offset, int vocab) {
        Integer[] ids = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            ids[i] = i;
        }
        Arrays.sort(ids, (a, b) -> {
            int c = Float.compare(logits[offset + b], logits[offset + a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int keep = params.topK() == 0 ? vocab : Math.min(params.topK(), vocab);
        double max = logits[offset + ids[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((logits[offset + ids[i]] - max) / params.temperature());
            sum += p[i];
        }
        // Top-p: the smallest prefix whose mass reaches topP (always at least one token).
        double mass = 0;
        int cut = keep;
        for (int i = 0; i < keep; i++) {
            mass += p[i] / sum;
            if (mass >= params.topP()) {
                cut = i + 1;
                break;
            }
        }
        double total = 0;
        for (int i = 0; i < cut; i++) {
            total += p[i];
        }
        return new Candidates(ids, p, cut, total);
    }

    /** The id of the largest logit; the lowest id among equals. NaN never wins. */
    public static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            float v = logits[offset + i];
            if (v > bestValue) {
                bestValue = v;
                best = i;
            }
        }
        return best;
    }
}
