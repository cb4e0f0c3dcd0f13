package fsc.runtime.serve;

import fsc.runtime.llm.SamplingParams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A scheduler on a simulated clock: each step takes the time a fixed cost line says. */
final class Sim {
    final Scheduler scheduler;
    final KvPool kv;
    final Metrics metrics = new Metrics();
    final FakeEngine engine;
    final double fixedMs;
    final double perTokenMs;
    long now;
    final List<StepPlan> plans = new ArrayList<>();
    final Map<Long, Recorder> sinks = new LinkedHashMap<>();

    Sim(SchedulerConfig config, int blocks, int blockSize, double fixedMs, double perTokenMs) {
        this(config, blocks, blockSize, fixedMs, perTokenMs, 512);
    }

    /** A scheduler for a compiled step that takes at most {@code engineMaxTokens} tokens. */
    Sim(SchedulerConfig config, int blocks, int blockSize, double fixedMs, double perTokenMs, int engineMaxTokens) {
        this.kv = new KvPool(blocks, blockSize, config.maxRunning(), config.maxContext());
        this.scheduler = new Scheduler(config, kv, new CostModel(fixedMs, perTokenMs), metrics, engineMaxTokens);
        this.engine = new FakeEngine(kv);
        this.fixedMs = fixedMs;
        this.perTokenMs = perTokenMs;
    }

    static SchedulerConfig config(int maxRunning, int budget) {
        return SchedulerConfig.defaults(maxRunning, 1024, budget);
    }

    /** Records what a request received, and when. */
    static final class Recorder implements TokenSink {
        final List<Integer> tokens = new ArrayList<>();
        final List<Long> times = new ArrayList<>();
        String finished;
        String failed;
        int ends;
        private final Sim sim;

        Recorder(Sim sim) {
            this.sim = sim;
        }

        @Override
        public void token(int id) {
            if (ends > 0) {
                throw new IllegalStateException("token after the end");
            }
            tokens.add(id);
            times.add(sim.now);
        }

        @Override
        public void finished(String reason) {
            finished = reason;
            ends++;
        }

        @Override
        public void failed(String message) {
            failed = message;
            ends++;
        }
    }

    static int[] prompt(int length, int seed) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = 1 + Math.floorMod(seed * 7919 + i * 31, FakeEngine.VOCAB - 1);
        }
        return p;
    }

    Admission submit(long id, int promptLength, int maxTokens, Priority p) {
        return submit(id, prompt(promptLength, (int) id), maxTokens, p);
    }

    Admission submit(long id, int[] prompt, int maxTokens, Priority p) {
        CompletionRequest r = new CompletionRequest(id, prompt, maxTokens, p, 0, 0, SamplingParams.greedy());
        Recorder rec = new Recorder(this);
        Admission a = scheduler.submit(r, rec, now);
        if (a instanceof Admission.Accepted) {
            sinks.put(id, rec);
        }
        return a;
    }

    /** Runs one step; false when there was nothing to do. */
    boolean step() {
        StepPlan plan = scheduler.plan(now);
        if (plan == null) {
            return false;
        }
        plans.add(plan);
        float[] logits = engine.step(plan);
        double ms = fixedMs + perTokenMs * plan.size();
        now += (long) (ms * 1e6);
        scheduler.complete(plan, logits, FakeEngine.VOCAB, ms, now);
        return true;
    }

    int runToIdle(int maxSteps) {
        int n = 0;
        while (step()) {
            if (++n > maxSteps) {
                throw new AssertionError("no idle after " + maxSteps + " steps");
            }
        }
        return n;
    }

    /** The tokens a request produces when it runs alone on a fresh scheduler. */
    static List<Integer> alone(int[] prompt, int maxTokens) {
        Sim s = new Sim(config(1, 64), 256, 16, 1, 0.1);
        s.submit(1, prompt, maxTokens, Priority.BATCH);
        s.runToIdle(10_000);
        return s.sinks.get(1L).tokens;
    }
}
