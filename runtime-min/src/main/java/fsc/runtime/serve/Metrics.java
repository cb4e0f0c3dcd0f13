package fsc.runtime.serve;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The serving metrics, rendered in the Prometheus text format (version 0.0.4). Latencies are
 * histograms per class; counts are counters; the scheduler's state (running, waiting, KV blocks,
 * prefix hits) is a {@link Gauges} snapshot the engine publishes after each step. Output order is
 * fixed, so two renders of the same state are byte-identical. Thread-safe.
 */
public final class Metrics {
    private static final List<String> OUTCOMES = List.of("stop", "length", "cancelled", "error");
    private static final int[] STATUSES = {400, 429, 503};

    private final int classes = Priority.values().length;
    private final Histogram[] ttft = histograms();
    private final Histogram[] tbt = histograms();
    private final Histogram[] e2e = histograms();
    private final Histogram[] queue = histograms();
    private final Histogram step = new Histogram(Histogram.LATENCY_BOUNDS);
    private final AtomicLong[] accepted = counters(classes);
    private final AtomicLong[] generated = counters(classes);
    private final AtomicLong[] prompt = counters(classes);
    private final AtomicLong[] preempted = counters(classes);
    private final AtomicLong[] deferred = counters(classes);
    private final AtomicLong[] ended = counters(classes * OUTCOMES.size());
    private final AtomicLong[] rejected = counters(classes * STATUSES.length);
    private final AtomicLong steps = new AtomicLong();
    private final AtomicLong stepTokens = new AtomicLong();
    private final AtomicLong stepPrefillTokens = new AtomicLong();
    private final AtomicLong specRounds = new AtomicLong();
    private final AtomicLong specDrafted = new AtomicLong();
    private final AtomicLong specAccepted = new AtomicLong();
    private volatile double specPredictedSpeedup = Double.NaN;
    private volatile boolean specActive;
    private volatile Gauges gauges = Gauges.EMPTY;
    private final CpuMeter cpu = new CpuMeter();

    /** Scheduler state at the end of a step. */
    public record Gauges(
            int[] running,
            int[] waiting,
            int kvUsed,
            int kvCached,
            int kvTotal,
            double prefixHitRate,
            double costFixedMs,
            double costPerTokenMs,
            boolean draining) {
        static final Gauges EMPTY = new Gauges(new int[2], new int[2], 0, 0, 0, 0, 0, 0, false);
    }

    private static Histogram[] histograms() {
        Histogram[] h = new Histogram[Priority.values().length];
        for (int i = 0; i < h.length; i++) {
            h[i] = new Histogram(Histogram.LATENCY_BOUNDS);
        }
        return h;
    }

    private static AtomicLong[] counters(int n) {
        AtomicLong[] c = new AtomicLong[n];
        for (int i = 0; i < n; i++) {
            c[i] = new AtomicLong();
        }
        return c;
    }

    void accepted(Priority p, int promptTokens) {
        accepted[p.ordinal()].incrementAndGet();
        prompt[p.ordinal()].addAndGet(promptTokens);
    }

    void rejected(Priority p, int status) {
        for (int i = 0; i < STATUSES.length; i++) {
            if (STATUSES[i] == status) {
                rejected[p.ordinal() * STATUSES.length + i].incrementAndGet();
                return;
            }
        }
        throw new IllegalStateException("no rejection counter for status " + status);
    }

    void queued(Priority p, double ms) {
        queue[p.ordinal()].observe(ms / 1000);
    }

    void firstToken(Priority p, double ms) {
        ttft[p.ordinal()].observe(ms / 1000);
    }

    void betweenTokens(Priority p, double ms) {
        tbt[p.ordinal()].observe(ms / 1000);
    }

    void generated(Priority p) {
        generated[p.ordinal()].incrementAndGet();
    }

    void preempted(Priority p) {
        preempted[p.ordinal()].incrementAndGet();
    }

    void deferred(Priority p) {
        deferred[p.ordinal()].incrementAndGet();
    }

    void ended(Priority p, String outcome, double e2eMs) {
        int o = OUTCOMES.indexOf(outcome);
        if (o < 0) {
            throw new IllegalStateException("unknown outcome " + outcome);
        }
        ended[p.ordinal() * OUTCOMES.size() + o].incrementAndGet();
        if (!outcome.equals("cancelled") && !outcome.equals("error")) {
            e2e[p.ordinal()].observe(e2eMs / 1000);
        }
    }

    void step(int tokens, int prefillTokens, double ms) {
        steps.incrementAndGet();
        stepTokens.addAndGet(tokens);
        stepPrefillTokens.addAndGet(prefillTokens);
        step.observe(ms / 1000);
    }

    /** One sequence's speculative round: {@code accepted} of {@code drafted} draft tokens kept. */
    void speculated(int drafted, int accepted) {
        specRounds.incrementAndGet();
        specDrafted.addAndGet(drafted);
        specAccepted.addAndGet(accepted);
    }

    /** The speculative step's cost model: whether it speculates now, and the speed-up it predicts. */
    public void speculation(boolean active, double predictedSpeedup) {
        specActive = active;
        specPredictedSpeedup = predictedSpeedup;
    }

    public long speculativeRounds() {
        return specRounds.get();
    }

    public long draftTokensAccepted() {
        return specAccepted.get();
    }

    public long draftTokensProposed() {
        return specDrafted.get();
    }

    void publish(Gauges g) {
        gauges = g;
    }

    public long acceptedCount(Priority p) {
        return accepted[p.ordinal()].get();
    }

    public long rejectedCount(Priority p, int status) {
        for (int i = 0; i < STATUSES.length; i++) {
            if (STATUSES[i] == status) {
                return rejected[p.ordinal() * STATUSES.length + i].get();
            }
        }
        return 0;
    }

    public long endedCount(Priority p, String outcome) {
        return ended[p.ordinal() * OUTCOMES.size() + OUTCOMES.indexOf(outcome)].get();
    }

    public long preemptedCount(Priority p) {
        return preempted[p.ordinal()].get();
    }

    public long deferredCount(Priority p) {
        return deferred[p.ordinal()].get();
    }

    public long generatedCount(Priority p) {
        return generated[p.ordinal()].get();
    }

    public Gauges gauges() {
        return gauges;
    }

    /** The Prometheus text exposition. */
    public String render() {
        StringBuilder out = new StringBuilder(8192);
        histogram(out, "fsc_ttft_seconds", "Time from arrival to the first token.", ttft);
        histogram(out, "fsc_tbt_seconds", "Time between consecutive tokens of one sequence.", tbt);
        histogram(out, "fsc_e2e_seconds", "Time from arrival to the last token.", e2e);
        histogram(out, "fsc_queue_seconds", "Time from arrival to the first step that runs the request.", queue);
        header(out, "fsc_step_seconds", "histogram", "Engine step time.");
        step.write(out, "fsc_step_seconds", "");
        perClass(out, "fsc_requests_accepted_total", "counter", "Requests admitted.", accepted);
        header(out, "fsc_requests_ended_total", "counter", "Accepted requests by how they ended.");
        for (Priority p : Priority.values()) {
            for (int o = 0; o < OUTCOMES.size(); o++) {
                out.append("fsc_requests_ended_total{class=\"")
                        .append(p.label())
                        .append("\",outcome=\"")
                        .append(OUTCOMES.get(o))
                        .append("\"} ")
                        .append(ended[p.ordinal() * OUTCOMES.size() + o].get())
                        .append('\n');
            }
        }
        header(out, "fsc_requests_rejected_total", "counter", "Requests rejected at once, by HTTP status.");
        for (Priority p : Priority.values()) {
            for (int i = 0; i < STATUSES.length; i++) {
                out.append("fsc_requests_rejected_total{class=\"")
                        .append(p.label())
                        .append("\",status=\"")
                        .append(STATUSES[i])
                        .append("\"} ")
                        .append(rejected[p.ordinal() * STATUSES.length + i].get())
                        .append('\n');
            }
        }
        perClass(
                out,
                "fsc_preempted_total",
                "counter",
                "Sequences preempted (blocks freed, recomputed later).",
                preempted);
        perClass(out, "fsc_deferred_total", "counter", "Steps in which a class's prefill was deferred.", deferred);
        perClass(out, "fsc_generated_tokens_total", "counter", "Tokens generated.", generated);
        perClass(out, "fsc_prompt_tokens_total", "counter", "Prompt tokens of accepted requests.", prompt);
        scalar(out, "fsc_steps_total", "counter", "Engine steps.", steps.get());
        scalar(out, "fsc_step_tokens_total", "counter", "Tokens run in steps (decode and prefill).", stepTokens.get());
        scalar(
                out,
                "fsc_step_prefill_tokens_total",
                "counter",
                "Prefill tokens run in steps.",
                stepPrefillTokens.get());
        Gauges g = gauges;
        header(out, "fsc_running", "gauge", "Sequences running.");
        classGauge(out, "fsc_running", g.running());
        header(out, "fsc_waiting", "gauge", "Requests waiting.");
        classGauge(out, "fsc_waiting", g.waiting());
        scalar(out, "fsc_kv_blocks_used", "gauge", "KV blocks held by sequences.", g.kvUsed());
        scalar(out, "fsc_kv_blocks_cached", "gauge", "KV blocks held only by the prefix cache.", g.kvCached());
        scalar(out, "fsc_kv_blocks_total", "gauge", "KV blocks in the pool.", g.kvTotal());
        scalar(
                out,
                "fsc_kv_utilization",
                "gauge",
                "Used over total KV blocks.",
                g.kvTotal() == 0 ? 0 : (double) g.kvUsed() / g.kvTotal());
        scalar(out, "fsc_prefix_hit_rate", "gauge", "Prompt blocks found in the prefix cache.", g.prefixHitRate());
        scalar(out, "fsc_cost_fixed_ms", "gauge", "Learned fixed step cost.", g.costFixedMs());
        scalar(out, "fsc_cost_per_token_ms", "gauge", "Learned step cost per token.", g.costPerTokenMs());
        scalar(out, "fsc_draining", "gauge", "1 while the server refuses new requests.", g.draining() ? 1 : 0);
        long rounds = specRounds.get();
        long drafted = specDrafted.get();
        long acceptedDrafts = specAccepted.get();
        scalar(out, "fsc_spec_rounds_total", "counter", "Speculative rounds (one sequence, one step).", rounds);
        scalar(out, "fsc_spec_draft_tokens_total", "counter", "Draft tokens proposed.", drafted);
        scalar(out, "fsc_spec_accepted_tokens_total", "counter", "Draft tokens the target accepted.", acceptedDrafts);
        scalar(
                out,
                "fsc_spec_acceptance_rate",
                "gauge",
                "Accepted over proposed draft tokens.",
                drafted == 0 ? 0 : (double) acceptedDrafts / drafted);
        scalar(
                out,
                "fsc_spec_tokens_per_target_step",
                "gauge",
                "Tokens a sequence gains per speculative target step (accepted drafts plus the target's own).",
                rounds == 0 ? 0 : (double) (acceptedDrafts + rounds) / rounds);
        scalar(out, "fsc_spec_active", "gauge", "1 while the cost model has speculation on.", specActive ? 1 : 0);
        scalar(
                out,
                "fsc_spec_predicted_speedup",
                "gauge",
                "Plain over speculative time per token, as the cost model predicts it (NaN until measured).",
                specPredictedSpeedup);
        scalar(
                out,
                "fsc_cpu_utilization",
                "gauge",
                "Process CPU time over wall time and cores since the last scrape.",
                cpu.sample());
        return out.toString();
    }

    private static void histogram(StringBuilder out, String name, String help, Histogram[] h) {
        header(out, name, "histogram", help);
        for (Priority p : Priority.values()) {
            h[p.ordinal()].write(out, name, "class=\"" + p.label() + "\"");
        }
    }

    private static void perClass(StringBuilder out, String name, String type, String help, AtomicLong[] c) {
        header(out, name, type, help);
        for (Priority p : Priority.values()) {
            out.append(name)
                    .append("{class=\"")
                    .append(p.label())
                    .append("\"} ")
                    .append(c[p.ordinal()].get())
                    .append('\n');
        }
    }

    private static void classGauge(StringBuilder out, String name, int[] v) {
        for (Priority p : Priority.values()) {
            out.append(name)
                    .append("{class=\"")
                    .append(p.label())
                    .append("\"} ")
                    .append(v[p.ordinal()])
                    .append('\n');
        }
    }

    private static void scalar(StringBuilder out, String name, String type, String help, double v) {
        header(out, name, type, help);
        out.append(name).append(' ').append(Histogram.format(v)).append('\n');
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** CPU utilisation from the process's total CPU time (java.base only, so edge images have it). */
    private static final class CpuMeter {
        private long lastWall = System.nanoTime();
        private long lastCpu = cpuNanos();

        synchronized double sample() {
            long wall = System.nanoTime();
            long cpuNow = cpuNanos();
            double u = wall == lastWall
                    ? 0
                    : (double) (cpuNow - lastCpu)
                            / (wall - lastWall)
                            / Runtime.getRuntime().availableProcessors();
            lastWall = wall;
            lastCpu = cpuNow;
            return Math.max(0, Math.min(1, u));
        }

        private static long cpuNanos() {
            return ProcessHandle.current()
                    .info()
                    .totalCpuDuration()
                    .map(Duration::toNanos)
                    .orElse(0L);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Metrics[%s]", gauges);
    }
}
