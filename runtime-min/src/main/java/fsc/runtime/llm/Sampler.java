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
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    /** The next token for the {@code vocab} logits starting at {@code offset}. */
    public int sample(float[] logits, int offset, int vocab) {
        if (params.isGreedy()) {
            return argmax(logits, offset, vocab);
        }
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
        double r = random.nextDouble() * total;
        for (int i = 0; i < cut; i++) {
            r -= p[i];
            if (r < 0) {
                return ids[i];
            }
        }
        return ids[cut - 1];
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
