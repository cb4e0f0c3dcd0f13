package fsc.runtime.llm;

import fsc.runtime.RuntimeFailure;

/**
 * How the next token is chosen. {@code temperature == 0} is greedy (argmax, ties to the lowest id,
 * as llama.cpp); otherwise logits are divided by the temperature, cut to the {@code topK} best
 * ({@code 0} = all) and then to the smallest set whose probability reaches {@code topP}, and one
 * token is drawn with a generator seeded by {@code seed}, so a run is reproducible.
 */
public record SamplingParams(float temperature, int topK, float topP, long seed) {

    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new RuntimeFailure("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new RuntimeFailure("top-k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new RuntimeFailure("top-p must be in (0, 1], got " + topP);
        }
    }

    public static SamplingParams greedy() {
        return new SamplingParams(0f, 0, 1f, 0);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }
}
