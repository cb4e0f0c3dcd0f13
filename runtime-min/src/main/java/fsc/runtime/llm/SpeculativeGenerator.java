package fsc.runtime.llm;

import fsc.runtime.RuntimeFailure;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Speculative decoding for one sequence: a small draft model proposes {@code k} tokens one step at
 * a time, the target checks all of them in one step of {@code k + 1} tokens, and {@link
 * DraftVerifier} keeps the prefix the target agrees with plus one token of its own. Greedy output
 * is the target's own; sampled output is distributed as the target's.
 *
 * <p>Both caches hold every committed token except the last (whose logits the next step computes);
 * the draft's may lag further behind, and catches up in its next round. Rejected draft tokens are
 * cut from both caches with {@link KvCache#truncate}.
 *
 * <p>When to speculate is the {@link SpeculationPolicy}'s call: always, or in {@link Mode#AUTO}
 * only while plain steps, rounds and the acceptance rate measured during this generation predict
 * a speed-up.
 */
public final class SpeculativeGenerator {
    /** {@code AUTO}: speculate when the cost model predicts a speed-up; {@code ALWAYS}: every round. */
    public enum Mode {
        AUTO,
        ALWAYS
    }

    private static final int SEQ = Generator.SEQ;

    private final Decoder target;
    private final Decoder draft;
    private final TextCodec codec;
    private final int k;
    private final Mode mode;

    public SpeculativeGenerator(Decoder target, Decoder draft, TextCodec codec, int draftTokens, Mode mode) {
        LlmConfig t = target.config();
        checkSameVocabulary(t, draft.config());
        if (draftTokens < 1 || draftTokens + 1 > t.maxBatchTokens()) {
            throw new RuntimeFailure("--draft-tokens must be 1.." + (t.maxBatchTokens() - 1)
                    + " (the target verifies k + 1 tokens in one step of at most " + t.maxBatchTokens() + "), got "
                    + draftTokens);
        }
        this.target = target;
        this.draft = draft;
        this.codec = codec;
        this.k = draftTokens;
        this.mode = mode;
    }

    /** Draft and target must map ids to the same tokens, or the target would verify other words. */
    public static void checkSameVocabulary(LlmConfig target, LlmConfig draft) {
        if (target.vocab() != draft.vocab()
                || !target.tokenizer().tokens().equals(draft.tokenizer().tokens())
                || target.tokenizer().eosId() != draft.tokenizer().eosId()) {
            throw new RuntimeFailure(
                    "the draft model '" + draft.name() + "' does not share the vocabulary of the target '"
                            + target.name() + "' (" + draft.vocab() + " vs " + target.vocab()
                            + " tokens): speculative decoding needs the same tokenizer");
        }
    }

    /** Tokenizes {@code prompt} and generates; {@code onText} receives text as it completes. */
    public Generation generate(String prompt, int maxTokens, SamplingParams sampling, Consumer<String> onText) {
        return generate(codec.encode(prompt), maxTokens, sampling, onText);
    }

    public Generation generate(int[] prompt, int maxTokens, SamplingParams sampling, Consumer<String> onText) {
        if (prompt.length == 0) {
            throw new RuntimeFailure("the prompt has no tokens");
        }
        target.cache().release(SEQ);
        draft.cache().release(SEQ);
        try {
            return new Run(prompt, maxTokens, sampling, onText).generate();
        } finally {
            target.cache().release(SEQ);
            draft.cache().release(SEQ);
        }
    }

    /** One generation's state. */
    private final class Run {
        private final int vocab = target.config().vocab();
        private final int[] prompt;
        private final Sampler sampler;
        private final Consumer<String> onText;
        private final TextCodec.Stream stream = codec.stream(false);
        private final StringBuilder text = new StringBuilder();
        private final SpeculationPolicy policy = new SpeculationPolicy(mode, k);
        /** Committed ids (prompt, then generated); {@code n} of them so far. */
        private final int[] committed;

        private int n;
        private int produced;
        private boolean ended;
        private int draftLength;
        private final int maxProduced;

        private final float[] draftLogits = new float[vocab];
        private final float[] stepLogits = new float[vocab];
        private final float[] verifyLogits;
        private final double[][] targetRows;
        private final double[][] draftRows;
        private final double[] residual = new double[vocab];
        private final int[] drafted;
        private final int[] one = new int[1];
        private final int[] onePosition = new int[1];
        private final int[] seqOne = {SEQ};
        private final int[] rowZero = {0};

        private int rounds;
        private int accepted;
        private int draftedTotal;
        private boolean draftUsable = true;
        private long firstToken;

        Run(int[] prompt, int maxTokens, SamplingParams sampling, Consumer<String> onText) {
            this.prompt = prompt;
            this.sampler = new Sampler(sampling);
            this.onText = onText;
            // Bounded by the context, not by --max-tokens: a huge request cannot allocate more than the cache holds.
            this.maxProduced = Math.max(0, Math.min(maxTokens, target.cache().maxContext()));
            this.committed = Arrays.copyOf(prompt, prompt.length + maxProduced);
            this.n = prompt.length;
            this.verifyLogits = new float[(k + 1) * vocab];
            this.targetRows = new double[k + 1][vocab];
            this.draftRows = new double[k][vocab];
            this.drafted = new int[k];
        }

        Generation generate() {
            long t0 = System.nanoTime();
            firstToken = t0;
            if (n > 1) {
                Generator.feed(target, committed, 0, n - 1, stepLogits);
            }
            while (!ended && produced < maxProduced && n <= target.cache().maxContext()) {
                int kRound = roundSize();
                if (kRound > 0 && policy.speculate()) {
                    round(kRound);
                } else {
                    plainStep();
                }
            }
            String rest = stream.flush();
            text.append(rest);
            onText.accept(rest);
            long end = System.nanoTime();
            Timings timings = new Timings(
                    prompt.length,
                    produced,
                    (firstToken - t0) / 1e6,
                    (firstToken - t0) / 1e6,
                    (end - firstToken) / 1e6,
                    target.cache().peakUsedBlocks(),
                    target.cache().numBlocks());
            Speculation s = new Speculation(
                    k,
                    rounds,
                    draftedTotal,
                    accepted,
                    rounds + policy.plainSteps(),
                    policy.plainSteps(),
                    policy.predictedSpeedup());
            return new Generation(
                    prompt,
                    Arrays.copyOfRange(committed, prompt.length, prompt.length + produced),
                    text.toString(),
                    timings,
                    s);
        }

        /**
         * Draft tokens this round can hold: at most {@code k}, no more than the tokens still wanted
         * after the one the target adds, within the target's and the draft's context (0: none).
         */
        private int roundSize() {
            if (!draftUsable) {
                return 0;
            }
            int room = Math.min(target.cache().maxContext() - n, draft.cache().maxContext() - n + 1);
            int size = Math.min(k, Math.min(maxProduced - produced - 1, room));
            if (room < 1) {
                draftUsable = false; // the draft's context is full: plain decoding from here on
            }
            return Math.max(0, size);
        }

        /** One target step on the last committed token, and a token sampled from it. */
        private void plainStep() {
            long t = System.nanoTime();
            one[0] = committed[n - 1];
            onePosition[0] = target.cache().append(SEQ, 1);
            target.step(one, onePosition, seqOne, rowZero, stepLogits);
            policy.plainStep((System.nanoTime() - t) / 1e6);
            emit(sampler.sample(stepLogits, 0, vocab));
        }

        /** Draft {@code size} tokens, verify them with one target step, keep what the target accepts. */
        private void round(int size) {
            // The draft catches up on what was committed since its last round (usually one or two tokens).
            long t0 = System.nanoTime();
            Generator.feed(draft, committed, draftLength, n, draftLogits);
            draftLength = n;
            for (int i = 0; i < size; i++) {
                sampler.probabilities(draftLogits, 0, vocab, draftRows[i]);
                drafted[i] = sampler.draw(draftRows[i], vocab, 1.0);
                if (i < size - 1) {
                    one[0] = drafted[i];
                    onePosition[0] = draft.cache().append(SEQ, 1);
                    draft.step(one, onePosition, seqOne, rowZero, draftLogits);
                    draftLength++;
                }
            }
            int[] tokens = new int[size + 1];
            int[] positions = new int[size + 1];
            int[] seqs = new int[size + 1];
            int[] rows = new int[size + 1];
            tokens[0] = committed[n - 1];
            System.arraycopy(drafted, 0, tokens, 1, size);
            int start = target.cache().append(SEQ, size + 1);
            for (int i = 0; i <= size; i++) {
                positions[i] = start + i;
                seqs[i] = SEQ;
                rows[i] = i;
            }
            target.step(tokens, positions, seqs, rows, verifyLogits);
            for (int i = 0; i <= size; i++) {
                sampler.probabilities(verifyLogits, i * vocab, vocab, targetRows[i]);
            }
            DraftVerifier.Verdict v =
                    DraftVerifier.verify(sampler, targetRows, draftRows, drafted, size, vocab, residual);
            if (size == k) {
                policy.roundTime((System.nanoTime() - t0) / 1e6);
            }
            rounds++;
            draftedTotal += size;
            accepted += v.accepted();
            policy.round(v.accepted(), size);
            policy.roundEnded();
            // Keep the committed prefix plus the accepted draft tokens; the new last token is not cached yet.
            target.cache().truncate(SEQ, n + v.accepted());
            draftLength = n + Math.min(v.accepted(), size - 1);
            draft.cache().truncate(SEQ, draftLength);
            for (int i = 0; i < v.accepted() && !ended; i++) {
                emit(drafted[i]);
            }
            if (!ended) {
                emit(v.next());
            }
        }

        /** Commits {@code id}; ends the generation at end-of-sequence or at the token budget. */
        private void emit(int id) {
            if (produced == 0) {
                firstToken = System.nanoTime();
            }
            committed[n++] = id;
            produced++;
            if (id == codec.eosId()) {
                ended = true;
                return;
            }
            String piece = stream.push(id);
            text.append(piece);
            onText.accept(piece);
            if (produced >= maxProduced) {
                ended = true;
            }
        }
    }
}
