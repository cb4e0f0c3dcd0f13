package fsc.runtime.serve;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Continuous batching with chunked prefill (Orca's iteration-level scheduling, Sarathi's chunked
 * prefill), priority classes and latency budgets. Time is passed in, never read, so every decision
 * is a pure function of the calls made: tests drive it with a simulated clock.
 *
 * <p>Each step is planned in four phases:
 *
 * <ol>
 *   <li>Sweep: cancelled sequences leave and free their blocks.
 *   <li>Interactive admission: a waiting interactive request with no free slot preempts the newest
 *       running batch sequence (never the reverse).
 *   <li>Decode: every running sequence with one pending token gets its row, most urgent first; when
 *       the pool has no block for it, the least urgent, newest sequence not yet placed is preempted
 *       (its blocks freed, its tokens recomputed later) — the needing sequence itself when it is the
 *       least urgent, so a batch sequence never takes an interactive one's blocks.
 *   <li>Prefill: chunks of partly prefilled running sequences, then of waiting ones (interactive
 *       before batch, arrival order), fill what is left of the token budget. While an interactive
 *       sequence is decoding, the budget is what the {@link CostModel} predicts fits in its TBT
 *       budget ("frame"), so batch prefill is chunked smaller or deferred.
 * </ol>
 *
 * Not thread-safe: {@link ServeEngine} serialises calls.
 */
public final class Scheduler {
    private final SchedulerConfig config;
    private final KvPool kv;
    private final CostModel cost;
    private final Metrics metrics;
    private final int engineMaxTokens;

    /** Running sequences in scheduling order: priority, then arrival. */
    private final List<Sequence> running = new ArrayList<>();

    private final List<ArrayDeque<Sequence>> waiting = new ArrayList<>();
    private final Map<Long, Sequence> byId = new LinkedHashMap<>();
    private final Sequence[] bySlot;
    private boolean draining;
    private long steps;
    /** Sequences the current static batch started with: the shape STATIC_PADDED keeps until it ends. */
    private int staticBatchSize;
    /** Draft tokens a decode row may reserve room for (0: no speculative decoding). */
    private int draftTokens;

    private static final Comparator<Sequence> URGENCY = Comparator.comparing(Sequence::priority)
            .thenComparingLong(s -> s.arrivalNanos)
            .thenComparingLong(Sequence::id);

    /**
     * @param engineMaxTokens tokens the compiled step accepts (its {@code T} bound); caps the budget
     */
    public Scheduler(SchedulerConfig config, KvPool kv, CostModel cost, Metrics metrics, int engineMaxTokens) {
        if (kv.slots() < config.maxRunning()) {
            throw new IllegalArgumentException(
                    "the KV pool has " + kv.slots() + " slots, the scheduler runs " + config.maxRunning());
        }
        this.config = config;
        this.kv = kv;
        this.cost = cost;
        this.metrics = metrics;
        this.engineMaxTokens = engineMaxTokens;
        for (int i = 0; i < Priority.values().length; i++) {
            waiting.add(new ArrayDeque<>());
        }
        this.bySlot = new Sequence[config.maxRunning()];
    }

    public SchedulerConfig config() {
        return config;
    }

    /**
     * Speculative decoding: each decode row reserves KV positions for up to {@code k} draft tokens
     * (within the sequence's token budget, the context, the pool and the step's token bound), which
     * a speculative {@link StepFunction} may fill; unused or rejected positions are returned when the
     * step completes.
     */
    public void enableSpeculation(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("draft tokens must be >= 1, got " + k);
        }
        if (config.batching() == Batching.STATIC_PADDED) {
            throw new IllegalArgumentException("speculative decoding needs continuous batching");
        }
        this.draftTokens = k;
    }

    public KvPool kv() {
        return kv;
    }

    public CostModel cost() {
        return cost;
    }

    /** Admits {@code r} (its events go to {@code sink}) or rejects it at once. */
    public Admission submit(CompletionRequest r, TokenSink sink, long now) {
        Priority p = r.priority();
        if (draining) {
            return reject(p, 503, "the server is draining", 1);
        }
        if (r.promptLength() + r.maxTokens() > config.maxContext()) {
            return reject(
                    p,
                    400,
                    "prompt (" + r.promptLength() + " tokens) plus max_tokens (" + r.maxTokens()
                            + ") exceeds the context of " + config.maxContext(),
                    0);
        }
        int blocks = (r.promptLength() + r.maxTokens() + kv.blockSize() - 1) / kv.blockSize();
        if (blocks > kv.numBlocks()) {
            return reject(p, 400, "the request needs " + blocks + " KV blocks, the server has " + kv.numBlocks(), 0);
        }
        if (byId.containsKey(r.id())) {
            throw new IllegalStateException("request id " + r.id() + " is already scheduled");
        }
        // Each class has its own bound, so a backlog of batch work never locks interactive requests out.
        int queued = waitingCount(p);
        if (queued >= config.maxQueue()) {
            return reject(
                    p,
                    429,
                    "the " + p.label() + " queue is full (" + queued + " waiting)",
                    retryAfter(predictTtftMs(r, p)));
        }
        // An idle engine admits whatever fits: nobody is ahead to protect, and only executed steps
        // teach the cost model, so refusing here would freeze a bad prediction for good (the
        // lockout of issue 17: a slope learned from cold-JIT warm-up steps rejected every request
        // of an idle server, and with no step run the slope never changed).
        if (config.admissionControl() && !idle()) {
            double predicted = predictTtftMs(r, p);
            double budget = r.ttftMs() > 0 ? r.ttftMs() : config.ttftMs()[p.ordinal()];
            if (predicted > budget) {
                return reject(
                        p,
                        429,
                        String.format(
                                java.util.Locale.ROOT,
                                "predicted time to first token %.0f ms exceeds the %.0f ms budget",
                                predicted,
                                budget),
                        retryAfter(predicted - budget));
            }
        }
        Sequence s = new Sequence(r, sink, now);
        byId.put(r.id(), s);
        waiting.get(p.ordinal()).addLast(s);
        metrics.accepted(p, r.promptLength());
        return new Admission.Accepted();
    }

    /**
     * Predicted TTFT of a new request: the prefill tokens ahead of it (its class and more urgent
     * ones) plus its own, spread over steps of the current budget left after decode tokens, plus the
     * wait for a slot when all are taken.
     */
    double predictTtftMs(CompletionRequest r, Priority p) {
        int budget = stepBudget();
        int decode = running.size();
        int cap = Math.max(1, budget - decode);
        long ahead = r.promptLength();
        int waitingAhead = 0;
        for (Priority q : Priority.values()) {
            if (q.ordinal() > p.ordinal()) {
                continue;
            }
            for (Sequence s : waiting.get(q.ordinal())) {
                ahead += s.pending();
                waitingAhead++;
            }
        }
        for (Sequence s : running) {
            if (s.priority().ordinal() <= p.ordinal() && s.pending() > 1) {
                ahead += s.pending();
            }
        }
        // Each of those steps carries the decode rows and its share of the prefill, so by the cost
        // line they take steps × fixed + perToken × (every token they hold): a short prompt costs
        // one short step, not a step of the whole budget.
        long steps = (ahead + cap - 1) / cap;
        double ms = steps * cost.fixedMs() + cost.perTokenMs() * ((double) steps * decode + ahead);
        int freeSlots = config.maxRunning() - running.size();
        if (waitingAhead + 1 > freeSlots && !running.isEmpty()) {
            // Slots free as sequences finish: about their mean remaining tokens apart per round of maxRunning.
            long remaining = 0;
            int preemptible = 0;
            for (Sequence s : running) {
                remaining += s.request.maxTokens() - s.generated;
                if (s.priority().ordinal() > p.ordinal()) {
                    preemptible++;
                }
            }
            int rounds = (int) Math.ceil((double) (waitingAhead + 1 - freeSlots - preemptible) / config.maxRunning());
            if (rounds > 0) {
                ms += rounds * ((double) remaining / running.size()) * cost.predictMs(decode);
            }
        }
        return ms;
    }

    /** Cancels a request (client gone); a no-op when it already ended. Takes effect at the next plan. */
    public void cancel(long id) {
        cancel(id, "cancelled");
    }

    /**
     * Ends a request at the next plan with {@code reason} as its outcome: "cancelled" (client gone)
     * or "stop" (the HTTP layer found a stop sequence in its text).
     */
    public void cancel(long id, String reason) {
        Sequence s = byId.get(id);
        if (s != null) {
            s.cancelled = true;
            s.endReason = reason;
        }
    }

    /** Stops admitting: new requests get 503 while accepted ones run to their end. */
    public void drain() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    /** Ends every accepted request with {@code message} (engine failure, shutdown) and frees all blocks. */
    public void failAll(String message, long now) {
        for (Sequence s : new ArrayList<>(byId.values())) {
            end(s, null, message, now);
        }
    }

    /** The next step, or null when no sequence has work. */
    public StepPlan plan(long now) {
        sweepCancelled(now);
        steps++;
        admitInteractive(now);
        if (!config.continuous() && running.isEmpty()) {
            startStaticBatch(now);
        }
        Builder b = new Builder();
        // Phase 3: decode rows, most urgent first, preempting the least urgent when blocks run out.
        for (int i = 0; i < running.size(); i++) {
            Sequence s = running.get(i);
            if (s.pending() != 1 || s.generated == 0 && s.computed == 0) {
                continue;
            }
            while (kv.appendable(s.slot) < 1) {
                Sequence victim = running.getLast();
                if (victim == s
                        || !b.placed(victim)
                                && victim.priority().ordinal() >= s.priority().ordinal()) {
                    preempt(victim, now);
                    if (victim == s) {
                        break;
                    }
                } else {
                    preempt(s, now);
                    break;
                }
            }
            if (s.running()) {
                b.add(s, 1, false, draftRoom(s, b, running.size() - i - 1));
            } else {
                i--; // s left the list
            }
        }
        int budget = Math.max(b.size(), stepBudget());
        // Phase 4: prefill chunks under what is left.
        for (Sequence s : new ArrayList<>(running)) {
            if (b.placed(s) || s.pending() < 1) {
                continue;
            }
            prefill(b, s, budget);
        }
        if (config.continuous()) {
            for (ArrayDeque<Sequence> queue : waiting) {
                Iterator<Sequence> it = queue.iterator();
                while (it.hasNext()) {
                    Sequence s = it.next();
                    if (running.size() >= config.maxRunning() || s.preemptedAtStep == steps) {
                        break;
                    }
                    if (b.size() >= budget || kv.availableBlocks() == 0 && s.priority() != Priority.INTERACTIVE) {
                        if (s.priority() == Priority.BATCH) {
                            metrics.deferred(s.priority());
                        }
                        break;
                    }
                    it.remove();
                    start(s, now);
                    prefill(b, s, budget);
                }
            }
        }
        if (config.batching() == Batching.STATIC_PADDED && b.size() > 0 && b.decodeOnly()) {
            // The fixed-shape baseline: rows of finished sequences are still computed.
            b.pad(staticBatchSize - b.size());
        }
        return b.size() == 0 ? null : b.build();
    }

    /**
     * Draft positions decode row {@code s} can reserve: no more than the tokens it may still
     * generate after the target's own, the context, what the pool can append without preempting
     * anyone, and the step's token bound less the decode rows still to place.
     */
    private int draftRoom(Sequence s, Builder b, int rowsAfter) {
        if (draftTokens == 0 || s.sink.topLogprobs() >= 0) {
            return 0; // log-probabilities come from the target's own logits row by row: decoded plain
        }
        int room = Math.min(draftTokens, s.request.maxTokens() - s.generated - 1);
        room = Math.min(room, config.maxContext() - s.length);
        room = Math.min(room, kv.appendable(s.slot) - 1);
        room = Math.min(room, engineMaxTokens - b.size() - 1 - rowsAfter);
        return Math.max(0, room);
    }

    /** The TBT frame: the tightest running interactive budget, as tokens the cost model says fit. */
    private int stepBudget() {
        int budget = Math.min(config.stepTokenBudget(), engineMaxTokens);
        double frame = Double.POSITIVE_INFINITY;
        for (Sequence s : running) {
            if (s.priority() == Priority.INTERACTIVE && s.generated > 0) {
                double tbt = s.request.tbtMs() > 0
                        ? s.request.tbtMs()
                        : config.tbtMs()[s.priority().ordinal()];
                frame = Math.min(frame, tbt);
            }
        }
        if (frame != Double.POSITIVE_INFINITY) {
            budget = Math.min(budget, cost.maxTokensWithin(frame * config.frameFraction()));
        }
        return Math.max(1, budget);
    }

    private void prefill(Builder b, Sequence s, int budget) {
        int room = budget - b.size();
        if (s.priority() == Priority.INTERACTIVE && !b.interactiveFloorUsed && room < kv.blockSize()) {
            // A frame too tight for any prefill would starve new interactive requests: one block's
            // worth per step keeps their TTFT bounded at a small, known cost to the running TBT.
            // The step's own token bound still holds: a compiled step takes no more than that.
            room = Math.min(kv.blockSize(), engineMaxTokens - b.size());
            b.interactiveFloorUsed = true;
        }
        if (room <= 0) {
            if (s.priority() == Priority.BATCH) {
                metrics.deferred(s.priority());
            }
            return;
        }
        int chunk = Math.min(Math.min(s.pending(), room), kv.appendable(s.slot));
        if (chunk <= 0 && s.priority() == Priority.INTERACTIVE) {
            // An interactive prompt may take blocks from batch sequences not yet in this step.
            for (int i = running.size() - 1; i >= 0 && kv.appendable(s.slot) < Math.min(s.pending(), room); i--) {
                Sequence v = running.get(i);
                if (v.priority() == Priority.BATCH && !b.placed(v)) {
                    preempt(v, 0);
                }
            }
            chunk = Math.min(Math.min(s.pending(), room), kv.appendable(s.slot));
        }
        if (chunk > 0) {
            b.add(s, chunk, true);
        }
    }

    /** Static batching (the baseline): a new batch of up to maxRunning sequences starts only when the last ends. */
    private void startStaticBatch(long now) {
        for (ArrayDeque<Sequence> queue : waiting) {
            while (!queue.isEmpty() && running.size() < config.maxRunning()) {
                start(queue.removeFirst(), now);
            }
        }
        staticBatchSize = running.size();
    }

    /** Phase 2: a waiting interactive request takes the slot of the newest running batch sequence. */
    private void admitInteractive(long now) {
        ArrayDeque<Sequence> queue = waiting.get(Priority.INTERACTIVE.ordinal());
        if (!config.continuous() && !running.isEmpty()) {
            return;
        }
        for (Sequence s : queue) {
            if (running.size() < config.maxRunning()) {
                return;
            }
            Sequence victim = running.getLast();
            if (victim.priority() != Priority.BATCH) {
                return;
            }
            preempt(victim, now);
        }
    }

    /** Applies a finished step: {@code logits} holds {@code plan.logitRows().length × vocab} floats. */
    public void complete(StepPlan plan, float[] logits, int vocab, double stepMs, long now) {
        complete(plan, StepResult.plain(logits), vocab, stepMs, now);
    }

    /** Applies a finished step, plain or speculative. */
    public void complete(StepPlan plan, StepResult result, int vocab, double stepMs, long now) {
        int verifiedRows = 0;
        for (StepResult.Verified v : result.verified().values()) {
            verifiedRows += v.drafted();
        }
        cost.observe(plan.size() + verifiedRows, stepMs);
        metrics.step(plan.size() + verifiedRows, plan.prefillTokens(), stepMs);
        for (StepPlan.Chunk c : plan.chunks()) {
            Sequence s = byId.get(c.requestId());
            if (s == null || s.slot != c.slot() || s.cancelled) {
                continue; // ended (cancelled) while the step ran; swept at the next plan
            }
            StepResult.Verified v = result.verified().get(c.requestId());
            if (v != null) {
                completeSpeculative(s, c, v, now);
                continue;
            }
            s.computed += c.count();
            if (c.draftRoom() > 0) {
                kv.truncate(s.slot, s.computed); // the reserved draft positions were not used
            }
            kv.register(s.slot, s.tokens, s.computed);
            if (c.logitIndex() < 0) {
                continue;
            }
            int token = s.sampler.sample(result.logits(), c.logitIndex() * vocab, vocab);
            int top = s.sink.topLogprobs();
            emit(
                    s,
                    token,
                    top < 0 ? null : TokenLogprobs.of(result.logits(), c.logitIndex() * vocab, vocab, token, top),
                    now);
        }
        sweepCancelled(now);
    }

    /**
     * The target checked {@code v.drafted()} draft tokens after the decode row: the row and the
     * accepted ones are now in the cache, the rejected ones' positions go back to the pool, and the
     * accepted tokens and the target's own are emitted in order (the sequence may end on any).
     */
    private void completeSpeculative(Sequence s, StepPlan.Chunk c, StepResult.Verified v, long now) {
        if (v.drafted() > c.draftRoom() || v.tokens().length < 1) {
            throw new IllegalStateException("request " + s.id() + ": " + v.drafted() + " draft tokens verified in "
                    + c.draftRoom() + " reserved positions");
        }
        s.computed += c.count() + v.accepted();
        kv.truncate(s.slot, s.computed);
        s.draftComputed = s.computed; // the draft fed every accepted token; the next row is the target's
        metrics.speculated(v.drafted(), v.accepted());
        for (int token : v.tokens()) {
            emit(s, token, null, now);
            if (!s.running()) {
                return; // ended on this token
            }
        }
        kv.register(s.slot, s.tokens, s.computed);
    }

    /** The step failed: each of its sequences ends with an error event. */
    public void failStep(StepPlan plan, String message, long now) {
        for (StepPlan.Chunk c : plan.chunks()) {
            Sequence s = byId.get(c.requestId());
            if (s != null) {
                end(s, null, message, now);
            }
        }
    }

    private void emit(Sequence s, int token, TokenLogprobs logprobs, long now) {
        Priority p = s.priority();
        if (s.firstTokenNanos < 0) {
            s.firstTokenNanos = now;
            metrics.firstToken(p, (now - s.arrivalNanos) / 1e6);
        } else if (s.lastTokenNanos >= 0) {
            metrics.betweenTokens(p, (now - s.lastTokenNanos) / 1e6);
        }
        s.lastTokenNanos = now;
        s.push(token);
        metrics.generated(p);
        if (logprobs == null) {
            s.sink.token(token);
        } else {
            s.sink.token(token, logprobs);
        }
        if (token == eos && !s.request.ignoreEos()) {
            end(s, "stop", null, now);
        } else if (s.generated >= s.request.maxTokens() || s.length >= config.maxContext()) {
            end(s, "length", null, now);
        }
    }

    private int eos = -1;

    /** The end-of-sequence token: sampling it ends a sequence with reason "stop". */
    public void setEos(int id) {
        this.eos = id;
    }

    private void sweepCancelled(long now) {
        for (Sequence s : new ArrayList<>(byId.values())) {
            if (s.cancelled) {
                end(s, s.endReason, null, now);
            }
        }
    }

    private void start(Sequence s, long now) {
        int slot = -1;
        for (int i = 0; i < bySlot.length; i++) {
            if (bySlot[i] == null) {
                slot = i;
                break;
            }
        }
        if (slot < 0) {
            throw new IllegalStateException("no free slot with " + running.size() + " running");
        }
        bySlot[slot] = s;
        s.slot = slot;
        if (s.admittedNanos < 0) {
            s.admittedNanos = now;
            metrics.queued(s.priority(), (now - s.arrivalNanos) / 1e6);
        }
        s.computed = kv.sharePrefix(slot, s.content());
        int at = 0;
        while (at < running.size() && URGENCY.compare(running.get(at), s) < 0) {
            at++;
        }
        running.add(at, s);
    }

    private void preempt(Sequence s, long now) {
        releaseSlot(s);
        s.computed = 0;
        s.draftComputed = 0;
        s.preemptions++;
        s.preemptedAtStep = steps;
        waiting.get(s.priority().ordinal()).addFirst(s);
        metrics.preempted(s.priority());
    }

    private void releaseSlot(Sequence s) {
        if (s.slot >= 0) {
            kv.release(s.slot);
            bySlot[s.slot] = null;
            s.slot = -1;
            running.remove(s);
        }
    }

    /** Ends {@code s}: exactly one of finished/failed reaches its sink. */
    private void end(Sequence s, String reason, String error, long now) {
        releaseSlot(s);
        waiting.get(s.priority().ordinal()).remove(s);
        byId.remove(s.id());
        String outcome = error != null ? "error" : reason;
        metrics.ended(s.priority(), outcome, (now - s.arrivalNanos) / 1e6);
        if (error != null) {
            s.sink.failed(error);
        } else {
            s.sink.finished(reason);
        }
    }

    private Admission.Rejected reject(Priority p, int status, String reason, int retryAfter) {
        metrics.rejected(p, status);
        return new Admission.Rejected(status, reason, retryAfter);
    }

    private static int retryAfter(double ms) {
        return (int) Math.max(1, Math.ceil(ms / 1000));
    }

    public int runningCount() {
        return running.size();
    }

    public int waitingCount() {
        int n = 0;
        for (ArrayDeque<Sequence> q : waiting) {
            n += q.size();
        }
        return n;
    }

    public int waitingCount(Priority p) {
        return waiting.get(p.ordinal()).size();
    }

    public int runningCount(Priority p) {
        return (int) running.stream().filter(s -> s.priority() == p).count();
    }

    /** Nothing running or waiting. */
    public boolean idle() {
        return running.isEmpty() && waitingCount() == 0;
    }

    /** Accepted requests not yet ended. */
    public int activeCount() {
        return byId.size();
    }

    /** Builds the flat batch in row order. */
    private final class Builder {
        private final List<StepPlan.Chunk> chunks = new ArrayList<>();
        private final List<Sequence> seqs = new ArrayList<>();
        private int rows;
        private int logits;
        /** Draft positions reserved after decode rows: rows a speculative step may add. */
        private int reserved;
        /** Rows that repeat row 0 (a decode row), computed and dropped: see Batching.STATIC_PADDED. */
        private int padding;

        boolean interactiveFloorUsed;

        boolean decodeOnly() {
            return chunks.stream().noneMatch(StepPlan.Chunk::prefill);
        }

        void pad(int n) {
            padding = Math.max(0, n);
        }

        boolean placed(Sequence s) {
            return seqs.contains(s);
        }

        int size() {
            return rows + padding + reserved;
        }

        void add(Sequence s, int count, boolean prefill) {
            add(s, count, prefill, 0);
        }

        void add(Sequence s, int count, boolean prefill, int draftRoom) {
            kv.append(s.slot, count + draftRoom);
            boolean last = s.computed + count == s.length;
            chunks.add(new StepPlan.Chunk(
                    s.id(),
                    s.slot,
                    rows,
                    count,
                    prefill,
                    last ? logits++ : -1,
                    s.sampler,
                    draftRoom,
                    draftRoom > 0 ? s.tokens : null,
                    s.draftComputed));
            seqs.add(s);
            rows += count;
            reserved += draftRoom;
        }

        StepPlan build() {
            int[] tokens = new int[rows + padding];
            int[] positions = new int[rows + padding];
            int[] slots = new int[rows + padding];
            int[] logitRows = new int[logits];
            for (int c = 0; c < chunks.size(); c++) {
                StepPlan.Chunk chunk = chunks.get(c);
                Sequence s = seqs.get(c);
                for (int i = 0; i < chunk.count(); i++) {
                    int r = chunk.firstRow() + i;
                    tokens[r] = s.tokens[s.computed + i];
                    positions[r] = s.computed + i;
                    slots[r] = s.slot;
                }
                if (chunk.logitIndex() >= 0) {
                    logitRows[chunk.logitIndex()] = chunk.firstRow() + chunk.count() - 1;
                }
            }
            // A padding row writes the same key and value to the same cache slot as row 0: the
            // multi-row decode kernels give every row the same bits whatever its neighbours.
            for (int r = rows; r < rows + padding; r++) {
                tokens[r] = tokens[0];
                positions[r] = positions[0];
                slots[r] = slots[0];
            }
            return new StepPlan(tokens, positions, slots, logitRows, List.copyOf(chunks));
        }
    }
}
