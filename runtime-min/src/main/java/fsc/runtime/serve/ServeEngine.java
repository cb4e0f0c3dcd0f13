package fsc.runtime.serve;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The one engine thread: plan a step under the lock, run it outside the lock (so HTTP threads can
 * submit and cancel meanwhile), apply it under the lock. Sinks are called on this thread and must
 * not block. Any failure of a step ends that step's requests with an error event; shutdown ends
 * every remaining one, so no accepted request is left without an answer.
 */
public final class ServeEngine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ServeEngine.class.getName());
    private final Scheduler scheduler;
    private final StepFunction step;
    private final Metrics metrics;
    private final LongSupplier clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Thread thread;
    private volatile boolean stopped;

    public ServeEngine(Scheduler scheduler, StepFunction step, Metrics metrics, LongSupplier clock) {
        this.scheduler = scheduler;
        this.step = step;
        this.metrics = metrics;
        this.clock = clock;
        this.thread = Thread.ofPlatform().name("fsc-engine").daemon(true).unstarted(this::loop);
    }

    public void start() {
        publish();
        thread.start();
    }

    public Metrics metrics() {
        return metrics;
    }

    public Admission submit(CompletionRequest r, TokenSink sink) {
        lock.lock();
        try {
            if (stopped) {
                return new Admission.Rejected(503, "the server is shutting down", 1);
            }
            Admission a = scheduler.submit(r, sink, clock.getAsLong());
            work.signal();
            publish();
            return a;
        } finally {
            lock.unlock();
        }
    }

    /** The client went away: the sequence ends and its blocks are freed at the next step boundary. */
    public void cancel(long id) {
        cancel(id, "cancelled");
    }

    /** Ends a request early with {@code reason} ("stop": a stop sequence matched), freeing its blocks. */
    public void cancel(long id, String reason) {
        lock.lock();
        try {
            scheduler.cancel(id, reason);
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    public void drain() {
        lock.lock();
        try {
            scheduler.drain();
            publish();
        } finally {
            lock.unlock();
        }
    }

    /** Accepted requests that have not ended. */
    public int active() {
        lock.lock();
        try {
            return scheduler.activeCount();
        } finally {
            lock.unlock();
        }
    }

    public boolean draining() {
        lock.lock();
        try {
            return scheduler.draining();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (!stopped) {
            StepPlan plan;
            lock.lock();
            try {
                plan = scheduler.plan(clock.getAsLong());
                if (plan == null) {
                    publish();
                    work.awaitNanos(50_000_000L);
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            long t0 = System.nanoTime();
            StepResult result = null;
            String error = null;
            try {
                result = step.runStep(plan, scheduler.kv());
            } catch (RuntimeException | Error e) {
                error = "engine step failed: " + e;
                // The clients see only this line; the operator needs the stack to find the fault.
                LOG.log(System.Logger.Level.ERROR, error, e);
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            lock.lock();
            try {
                long now = clock.getAsLong();
                if (error != null) {
                    scheduler.failStep(plan, error, now);
                } else {
                    scheduler.complete(plan, result, step.vocab(), ms, now);
                }
                publish();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Called with the lock held. */
    private void publish() {
        KvPool kv = scheduler.kv();
        int[] running = new int[Priority.values().length];
        int[] waiting = new int[running.length];
        for (Priority p : Priority.values()) {
            running[p.ordinal()] = scheduler.runningCount(p);
            waiting[p.ordinal()] = scheduler.waitingCount(p);
        }
        metrics.publish(new Metrics.Gauges(
                running,
                waiting,
                kv.usedBlocks(),
                kv.cachedBlocks(),
                kv.numBlocks(),
                kv.prefixHitRate(),
                scheduler.cost().fixedMs(),
                scheduler.cost().perTokenMs(),
                scheduler.draining()));
    }

    /** Stops the thread after its current step and ends every remaining request with an error. */
    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lock.lock();
        try {
            scheduler.failAll("the server is shutting down", clock.getAsLong());
            publish();
        } finally {
            lock.unlock();
        }
    }
}
