package fsc.tests.llm;

import fsc.cli.ArtifactLoader;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import java.nio.file.Path;

/**
 * Greedy decoding through a compiled decoder jar, step by step through {@link Decoder}, digested as
 * the generated ids plus a hash of every logit's bits: a child JVM prints it from a forced JIT tier
 * and {@link DecoderJitTierTest} compares it with a warm run.
 */
public final class DecoderDigest {
    /** "Once upon a time", as llama.cpp tokenizes it for stories260K (../shared/data/gguf/references.jsonl). */
    static final int[] PROMPT = {1, 403, 407, 261, 378};

    static final int STEPS = 24;

    private DecoderDigest() {}

    /** {@code args}: the jar, and how many generations to run in this JVM (the last is printed). */
    public static void main(String[] args) {
        System.out.println(digest(Path.of(args[0]), Integer.parseInt(args[1])));
    }

    static String digest(Path jar, int runs) {
        try (CompiledModel model = ArtifactLoader.open(jar, 1)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            String last = null;
            for (int r = 0; r < runs; r++) {
                last = generate(model, config);
            }
            return last;
        }
    }

    private static String generate(CompiledModel model, LlmConfig config) {
        try (KvCache cache = new KvCache(config.layout(), 16, 1, config.maxContext())) {
            Decoder decoder = new Decoder(model, config, cache);
            StringBuilder ids = new StringBuilder();
            long hash = 1;
            int[] tokens = PROMPT;
            for (int step = 0; step < STEPS; step++) {
                int start = cache.append(0, tokens.length);
                int[] positions = new int[tokens.length];
                for (int i = 0; i < tokens.length; i++) {
                    positions[i] = start + i;
                }
                float[] logits = decoder.step(tokens, positions, new int[tokens.length], new int[] {tokens.length - 1});
                int best = 0;
                for (int v = 0; v < logits.length; v++) {
                    hash = hash * 1_000_003 + Float.floatToRawIntBits(logits[v]);
                    if (logits[v] > logits[best]) {
                        best = v;
                    }
                }
                ids.append(best).append(',');
                tokens = new int[] {best};
            }
            return "ids=" + ids + " logits=" + Long.toHexString(hash);
        }
    }
}
