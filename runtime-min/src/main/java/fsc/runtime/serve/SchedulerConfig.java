package fsc.runtime.serve;

/**
 * Scheduler limits and server-wide defaults.
 *
 * @param maxQueue waiting requests of a class beyond which new ones of that class are rejected (429)
 * @param stepTokenBudget tokens one step may hold (decode tokens plus prefill chunks)
 * @param maxRunning sequences running at once (rows of the block table)
 * @param maxContext positions one sequence may hold (prompt plus generated tokens)
 * @param ttftMs default TTFT budget per class, indexed by {@link Priority#ordinal()}
 * @param tbtMs default time-between-tokens budget per class
 * @param frameFraction share of the tightest interactive TBT budget a step may plan to use (head room for noise)
 * @param admissionControl false accepts everything the queue holds (the "accept-all" baseline)
 * @param batching continuous, or one of the static baselines (no new sequence joins until the whole batch ends)
 */
public record SchedulerConfig(
        int maxQueue,
        int stepTokenBudget,
        int maxRunning,
        int maxContext,
        double[] ttftMs,
        double[] tbtMs,
        double frameFraction,
        boolean admissionControl,
        Batching batching) {

    public SchedulerConfig {
        if (maxQueue < 1 || stepTokenBudget < 1 || maxRunning < 1 || maxContext < 2) {
            throw new IllegalArgumentException("scheduler limits must be positive");
        }
        if (ttftMs.length != Priority.values().length || tbtMs.length != Priority.values().length) {
            throw new IllegalArgumentException("one TTFT and TBT budget per priority class");
        }
        if (!(frameFraction > 0 && frameFraction <= 1)) {
            throw new IllegalArgumentException("frame fraction must be in (0, 1]");
        }
        ttftMs = ttftMs.clone();
        tbtMs = tbtMs.clone();
    }

    /** Interactive: 1 s to first token, 50 ms between tokens; batch: 60 s and 1 s. */
    public static SchedulerConfig defaults(int maxRunning, int maxContext, int stepTokenBudget) {
        return new SchedulerConfig(
                256,
                stepTokenBudget,
                maxRunning,
                maxContext,
                new double[] {1000, 60_000},
                new double[] {50, 1000},
                0.8,
                true,
                Batching.CONTINUOUS);
    }

    public SchedulerConfig withQueue(int q) {
        return new SchedulerConfig(
                q, stepTokenBudget, maxRunning, maxContext, ttftMs, tbtMs, frameFraction, admissionControl, batching);
    }

    public SchedulerConfig withTbt(Priority p, double ms) {
        double[] t = tbtMs.clone();
        t[p.ordinal()] = ms;
        return new SchedulerConfig(
                maxQueue,
                stepTokenBudget,
                maxRunning,
                maxContext,
                ttftMs,
                t,
                frameFraction,
                admissionControl,
                batching);
    }

    public SchedulerConfig withTtft(Priority p, double ms) {
        double[] t = ttftMs.clone();
        t[p.ordinal()] = ms;
        return new SchedulerConfig(
                maxQueue, stepTokenBudget, maxRunning, maxContext, t, tbtMs, frameFraction, admissionControl, batching);
    }

    public SchedulerConfig withAdmissionControl(boolean on) {
        return new SchedulerConfig(
                maxQueue, stepTokenBudget, maxRunning, maxContext, ttftMs, tbtMs, frameFraction, on, batching);
    }

    public SchedulerConfig withContinuous(boolean on) {
        return withBatching(on ? Batching.CONTINUOUS : Batching.STATIC);
    }

    public SchedulerConfig withBatching(Batching b) {
        return new SchedulerConfig(
                maxQueue, stepTokenBudget, maxRunning, maxContext, ttftMs, tbtMs, frameFraction, admissionControl, b);
    }

    /** Whether sequences join and leave at every step. */
    public boolean continuous() {
        return batching == Batching.CONTINUOUS;
    }
}
