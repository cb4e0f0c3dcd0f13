package fsc.runtime.llm;

import fsc.runtime.RuntimeFailure;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The generation loop for one sequence: prefill the prompt in chunks of at most {@code
 * maxBatchTokens}, then decode one token per step, each step appending to the paged KV cache. With
 * {@code recompute} every step instead re-runs the whole sequence from an empty cache; cached and
 * recomputed decoding must agree token for token (the check that masks and positions are right).
 */
public final class Generator {
    /** Sequence slot this single-stream loop uses. */
    static final int SEQ = 0;

    private final Decoder decoder;
    private final TextCodec codec;

    public Generator(Decoder decoder, TextCodec codec) {
        this.decoder = decoder;
        this.codec = codec;
    }

    /** Tokenizes {@code prompt} and generates; {@code onText} receives text as it completes. */
    public Generation generate(String prompt, int maxTokens, SamplingParams sampling, Consumer<String> onText) {
        return generate(codec.encode(prompt), maxTokens, sampling, onText, false);
    }

    public Generation generate(
            int[] prompt, int maxTokens, SamplingParams sampling, Consumer<String> onText, boolean recompute) {
        if (prompt.length == 0) {
            throw new RuntimeFailure("the prompt has no tokens");
        }
        KvCache cache = decoder.cache();
        int vocab = decoder.config().vocab();
        Sampler sampler = new Sampler(sampling);
        // A continuation keeps its first piece's leading space: it follows the prompt's text.
        TextCodec.Stream stream = codec.stream(false);
        StringBuilder text = new StringBuilder();
        // Bounded by the context, not by --max-tokens: a huge request cannot allocate more than the cache holds.
        int[] out = new int[Math.max(0, Math.min(maxTokens, cache.maxContext()))];
        int produced = 0;
        cache.release(SEQ);
        long t0 = System.nanoTime();
        long firstToken = t0;
        try {
            int[] seq = prompt;
            float[] logits = prefill(seq);
            // One token's step inputs and logits, reused every token (Decoder.step into an array).
            int[] token = new int[1];
            int[] position = new int[1];
            int[] seqIds = {SEQ};
            int[] logitRow = {0};
            float[] stepLogits = new float[vocab];
            while (produced < out.length) {
                int next = sampler.sample(logits, 0, vocab);
                if (produced == 0) {
                    firstToken = System.nanoTime();
                }
                out[produced++] = next;
                if (next == codec.eosId()) {
                    break;
                }
                String piece = stream.push(next);
                text.append(piece);
                onText.accept(piece);
                if (produced == out.length || seq.length + 1 > cache.maxContext()) {
                    break;
                }
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = next;
                if (recompute) {
                    cache.release(SEQ);
                    logits = prefill(seq);
                } else {
                    token[0] = next;
                    position[0] = cache.append(SEQ, 1);
                    decoder.step(token, position, seqIds, logitRow, stepLogits);
                    logits = stepLogits;
                }
            }
            String rest = stream.flush();
            text.append(rest);
            onText.accept(rest);
            long end = System.nanoTime();
            int[] generated = Arrays.copyOf(out, produced);
            Timings timings = new Timings(
                    prompt.length,
                    produced,
                    (firstToken - t0) / 1e6,
                    (firstToken - t0) / 1e6,
                    (end - firstToken) / 1e6,
                    cache.peakUsedBlocks(),
                    cache.numBlocks());
            return new Generation(prompt, generated, text.toString(), timings);
        } finally {
            cache.release(SEQ);
        }
    }

    /** Runs {@code seq} (whose cache is empty) in chunks; returns the logits of its last token. */
    private float[] prefill(int[] seq) {
        float[] logits = new float[decoder.config().vocab()];
        feed(decoder, seq, 0, seq.length, logits);
        return logits;
    }

    /**
     * Appends {@code tokens[from, to)} to sequence {@link #SEQ} of {@code decoder}'s cache, in steps
     * of at most {@code maxBatchTokens}, and writes the logits after the last of them into {@code
     * logits}.
     */
    static void feed(Decoder decoder, int[] tokens, int from, int to, float[] logits) {
        KvCache cache = decoder.cache();
        int chunk = decoder.config().maxBatchTokens();
        for (int at = from; at < to; at += chunk) {
            int n = Math.min(chunk, to - at);
            int start = cache.append(SEQ, n);
            int[] positions = new int[n];
            int[] seqs = new int[n];
            for (int i = 0; i < n; i++) {
                positions[i] = start + i;
                seqs[i] = SEQ;
            }
            decoder.step(Arrays.copyOfRange(tokens, at, at + n), positions, seqs, new int[] {n - 1}, logits);
        }
    }
}
