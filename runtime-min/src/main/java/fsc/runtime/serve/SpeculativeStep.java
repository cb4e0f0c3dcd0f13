package fsc.runtime.serve;

import fsc.runtime.RuntimeFailure;
import fsc.runtime.llm.DraftVerifier;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.Sampler;
import fsc.runtime.llm.SpeculationPolicy;
import fsc.runtime.llm.SpeculativeGenerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Speculative decoding inside continuous batching. For every decode row the scheduler reserved
 * room after ({@link StepPlan.Chunk#draftRoom}), the draft model catches up on the sequence's
 * tokens its cache lacks, proposes tokens one batched draft step at a time, and the target runs the
 * plan with each proposal appended after its decode row, in one step; {@link DraftVerifier} then
 * settles each sequence's tokens with the sequence's own sampler. The draft's cache has the same
 * blocks, block size and table as the target's (the {@link KvPool} assigns both), so it needs no
 * bookkeeping of its own beyond how far each sequence has been fed ({@code draftComputed}).
 *
 * <p>When to speculate is a {@link SpeculationPolicy}'s call, fed with decode-only steps: plain
 * ones and rounds, each per sequence in it, and every sequence's acceptance.
 */
public final class SpeculativeStep implements StepFunction {
    private final DecoderStep target;
    private final DecoderStep draft;
    private final int k;
    private final Metrics metrics;
    private final SpeculationPolicy policy;
    private final int vocab;
    private final int draftMaxRows;

    public SpeculativeStep(
            DecoderStep target, DecoderStep draft, int draftTokens, SpeculativeGenerator.Mode mode, Metrics metrics) {
        LlmConfig t = target.decoder().config();
        LlmConfig d = draft.decoder().config();
        SpeculativeGenerator.checkSameVocabulary(t, d);
        if (t.layout().blockSize() != d.layout().blockSize()) {
            throw new RuntimeFailure(
                    "the draft model's KV block size (" + d.layout().blockSize()
                            + ") differs from the target's (" + t.layout().blockSize()
                            + "): recompile one of them with the other's block size");
        }
        if (draftTokens < 1 || draftTokens + 1 > t.maxBatchTokens()) {
            throw new RuntimeFailure("--draft-tokens must be 1.." + (t.maxBatchTokens() - 1) + ", got " + draftTokens);
        }
        this.target = target;
        this.draft = draft;
        this.k = draftTokens;
        this.policy = new SpeculationPolicy(mode, draftTokens);
        this.metrics = metrics;
        this.vocab = t.vocab();
        this.draftMaxRows = d.maxBatchTokens();
    }

    /** Draft tokens per round. */
    public int draftTokens() {
        return k;
    }

    @Override
    public int vocab() {
        return vocab;
    }

    @Override
    public float[] run(StepPlan plan, KvPool kv) {
        return target.run(plan, kv);
    }

    @Override
    public StepResult runStep(StepPlan plan, KvPool kv) {
        List<StepPlan.Chunk> spec = new ArrayList<>();
        int decodeChunks = 0;
        for (StepPlan.Chunk c : plan.chunks()) {
            if (c.draftRoom() > 0 && c.logitIndex() >= 0) {
                spec.add(c);
            }
            if (!c.prefill()) {
                decodeChunks++;
            }
        }
        boolean decodeOnly = plan.prefillTokens() == 0 && plan.paddingRows() == 0 && decodeChunks > 0;
        long t0 = System.nanoTime();
        if (spec.isEmpty() || !policy.speculate()) {
            float[] logits = target.run(plan, kv);
            if (!spec.isEmpty() && decodeOnly) {
                policy.plainStep((System.nanoTime() - t0) / 1e6 / decodeChunks);
            }
            publish(false);
            return StepResult.plain(logits);
        }
        StepResult result = speculativeStep(plan, kv, spec);
        if (decodeOnly && spec.size() == decodeChunks && spec.stream().allMatch(c -> c.draftRoom() == k)) {
            policy.roundTime((System.nanoTime() - t0) / 1e6 / spec.size());
        }
        policy.roundEnded();
        publish(true);
        return result;
    }

    private void publish(boolean active) {
        metrics.speculation(active, policy.predictedSpeedup());
    }

    private StepResult speculativeStep(StepPlan plan, KvPool kv, List<StepPlan.Chunk> spec) {
        int n = spec.size();
        int[] position = new int[n];
        int[] room = new int[n];
        int maxRoom = 0;
        for (int j = 0; j < n; j++) {
            StepPlan.Chunk c = spec.get(j);
            position[j] = plan.positions()[c.firstRow()];
            room[j] = c.draftRoom();
            maxRoom = Math.max(maxRoom, room[j]);
        }
        // The draft catches up on each sequence through its decode row; the last row's logits give the first proposal.
        Rows catchUp = new Rows();
        for (int j = 0; j < n; j++) {
            StepPlan.Chunk c = spec.get(j);
            for (int p = Math.min(c.draftComputed(), position[j]); p <= position[j]; p++) {
                catchUp.add(c.history()[p], p, c.slot(), p == position[j]);
            }
        }
        float[] draftLogits = runDraft(catchUp, kv);
        int[][] drafted = new int[n][];
        double[][][] q = new double[n][][];
        for (int j = 0; j < n; j++) {
            drafted[j] = new int[room[j]];
            q[j] = new double[room[j]][vocab];
        }
        int[] logitRowOf = new int[n];
        for (int j = 0; j < n; j++) {
            logitRowOf[j] = j;
        }
        for (int i = 0; i < maxRoom; i++) {
            Rows next = new Rows();
            int[] nextRowOf = new int[n];
            int rowsWithLogits = 0;
            for (int j = 0; j < n; j++) {
                if (room[j] <= i) {
                    continue;
                }
                Sampler s = spec.get(j).sampler();
                s.probabilities(draftLogits, logitRowOf[j] * vocab, vocab, q[j][i]);
                drafted[j][i] = s.draw(q[j][i], vocab, 1.0);
                // Every proposal is fed, the last one too, so the draft's cache covers any accepted prefix.
                boolean wantLogits = room[j] > i + 1;
                next.add(drafted[j][i], position[j] + 1 + i, spec.get(j).slot(), wantLogits);
                nextRowOf[j] = wantLogits ? rowsWithLogits++ : -1;
            }
            draftLogits = runDraft(next, kv);
            logitRowOf = nextRowOf;
        }
        // The target: the plan's rows with each proposal after its decode row, in one step.
        Map<Long, Integer> specIndex = new HashMap<>();
        for (int j = 0; j < n; j++) {
            specIndex.put(spec.get(j).requestId(), j);
        }
        int extra = Arrays.stream(room).sum();
        int rows = plan.size() + extra;
        int[] tokens = new int[rows];
        int[] positions = new int[rows];
        int[] slots = new int[rows];
        int[] newRow = new int[plan.size()];
        int[] firstDraftRow = new int[n];
        int r = 0;
        for (StepPlan.Chunk c : plan.chunks()) {
            for (int i = 0; i < c.count(); i++) {
                int from = c.firstRow() + i;
                newRow[from] = r;
                tokens[r] = plan.tokens()[from];
                positions[r] = plan.positions()[from];
                slots[r] = plan.slots()[from];
                r++;
            }
            Integer j = specIndex.get(c.requestId());
            if (j != null && c.draftRoom() > 0 && c.logitIndex() >= 0) {
                firstDraftRow[j] = r;
                for (int i = 0; i < room[j]; i++) {
                    tokens[r] = drafted[j][i];
                    positions[r] = position[j] + 1 + i;
                    slots[r] = c.slot();
                    r++;
                }
            }
        }
        int plainLogits = plan.logitRows().length;
        int[] logitRows = new int[plainLogits + extra];
        for (int i = 0; i < plainLogits; i++) {
            logitRows[i] = newRow[plan.logitRows()[i]];
        }
        int[] firstDraftLogit = new int[n];
        int l = plainLogits;
        for (int j = 0; j < n; j++) {
            firstDraftLogit[j] = l;
            for (int i = 0; i < room[j]; i++) {
                logitRows[l++] = firstDraftRow[j] + i;
            }
        }
        float[] out = target.run(tokens, positions, slots, logitRows, kv);
        Map<Long, StepResult.Verified> verified = new HashMap<>();
        double[] residual = new double[vocab];
        for (int j = 0; j < n; j++) {
            StepPlan.Chunk c = spec.get(j);
            double[][] p = new double[room[j] + 1][vocab];
            c.sampler().probabilities(out, c.logitIndex() * vocab, vocab, p[0]);
            for (int i = 0; i < room[j]; i++) {
                c.sampler().probabilities(out, (firstDraftLogit[j] + i) * vocab, vocab, p[i + 1]);
            }
            DraftVerifier.Verdict v = DraftVerifier.verify(c.sampler(), p, q[j], drafted[j], room[j], vocab, residual);
            int[] settled = Arrays.copyOf(drafted[j], v.accepted() + 1);
            settled[v.accepted()] = v.next();
            verified.put(c.requestId(), new StepResult.Verified(settled, room[j]));
            policy.round(v.accepted(), room[j]);
        }
        return new StepResult(Arrays.copyOf(out, plainLogits * vocab), verified);
    }

    /** Runs {@code rows} through the draft in steps it accepts; returns the logits of the marked rows, in order. */
    private float[] runDraft(Rows rows, KvPool kv) {
        float[] logits = new float[rows.marked * vocab];
        int written = 0;
        for (int from = 0; from < rows.size; from += draftMaxRows) {
            int to = Math.min(rows.size, from + draftMaxRows);
            int marked = 0;
            for (int i = from; i < to; i++) {
                marked += rows.wanted[i] ? 1 : 0;
            }
            int[] logitRows = new int[marked];
            int m = 0;
            for (int i = from; i < to; i++) {
                if (rows.wanted[i]) {
                    logitRows[m++] = i - from;
                }
            }
            float[] part = draft.run(
                    Arrays.copyOfRange(rows.tokens, from, to),
                    Arrays.copyOfRange(rows.positions, from, to),
                    Arrays.copyOfRange(rows.slots, from, to),
                    logitRows,
                    kv);
            System.arraycopy(part, 0, logits, written, marked * vocab);
            written += marked * vocab;
        }
        return logits;
    }

    /** Rows of a draft step, some marked for logits. */
    private static final class Rows {
        int[] tokens = new int[16];
        int[] positions = new int[16];
        int[] slots = new int[16];
        boolean[] wanted = new boolean[16];
        int size;
        int marked;

        void add(int token, int position, int slot, boolean logits) {
            if (size == tokens.length) {
                tokens = Arrays.copyOf(tokens, size * 2);
                positions = Arrays.copyOf(positions, size * 2);
                slots = Arrays.copyOf(slots, size * 2);
                wanted = Arrays.copyOf(wanted, size * 2);
            }
            tokens[size] = token;
            positions[size] = position;
            slots[size] = slot;
            wanted[size] = logits;
            size++;
            marked += logits ? 1 : 0;
        }
    }
}
