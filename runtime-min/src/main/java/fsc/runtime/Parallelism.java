package fsc.runtime;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of {@code threads - 1} daemon worker threads plus the calling thread, for splitting
 * loops over rows or column blocks. Built for many short parallel loops per inference (one per GEMM):
 *
 * <ul>
 *   <li>A call publishes its loop in fields of this object and one atomic ticket, so steady-state
 *       calls allocate nothing (callers should keep their {@link IntRangeBody} in a field rather than
 *       create a capturing lambda per call).
 *   <li>The ticket packs {@code (chunkCount << 32) | nextChunk}; threads claim chunks by CAS and read
 *       the loop's fields only after a successful claim, so a late worker can never run a chunk of a
 *       loop that has already finished.
 *   <li>Idle workers spin briefly, then park; the caller unparks them when it publishes a loop, and
 *       parks itself (after a brief spin) until the thread finishing the last chunk unparks it.
 *   <li>Only one loop runs at a time. A call made while another is running (from a worker inside a
 *       body, or from a second caller thread) runs inline on its own thread instead of waiting, so
 *       nesting cannot deadlock.
 *   <li>{@link #forRange} cuts a loop into one chunk per thread; {@link #forChunks} into chunks of a
 *       given size, more than there are threads, so a thread that starts late or loses its core
 *       costs the loop one chunk rather than its whole share.
 * </ul>
 */
public final class Parallelism implements AutoCloseable {
    /** A loop body over a half-open index range. */
    @FunctionalInterface
    public interface IntRangeBody {
        void run(int from, int to);
    }

    /**
     * How long an idle worker, and a caller waiting for the last chunk, spin before parking. Measured
     * in time, not in {@code onSpinWait} calls, because a PAUSE takes from ~10 to ~140 cycles depending
     * on the CPU: the previous 20,000 spins lasted 0.3 ms on the build machine's Xeon, shorter than
     * some serial stretches of a MiniLM call (quantizers, transposes), so the worker parked and was
     * woken 12–19 times per int8 call. One millisecond covers those gaps; a team idle between calls
     * still parks after it. (ONNX Runtime's pool spins between parallel sections the same way.)
     */
    static final long SPIN_NANOS = 1_000_000L;

    /** {@code onSpinWait} calls between two reads of the clock while spinning. */
    private static final int SPINS_PER_CLOCK_READ = 64;

    private final int threads;
    private final Thread[] workers;
    // Not a ReentrantLock: a body running on the caller's thread must not re-enter and republish.
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong ticket = new AtomicLong();
    private final AtomicInteger chunksDone = new AtomicInteger();
    private volatile boolean closed;
    private volatile Throwable failure;
    private volatile Thread waiter; // the caller of the running loop, unparked by the last chunk

    // The published loop; written before the ticket is set, read after a chunk is claimed.
    private IntRangeBody body;
    private int start;
    private int end;
    private int chunkSize;

    private Parallelism(int threads) {
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, "fsc-worker-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
        }
        for (Thread t : workers) {
            t.start();
        }
    }

    /** A team of {@code threads} (the caller counts as one; {@code 1} starts no thread). */
    public static Parallelism of(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        return new Parallelism(threads);
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [start, end)} split into at most {@link #threads()} chunks whose
     * boundaries are {@code start + k * grain}, so a body can rely on whole blocks of {@code grain}
     * (except at {@code end}). Runs inline when one thread is enough, i.e. the range holds at most one
     * grain, or the team is busy. Exceptions from any chunk are rethrown here after all chunks end.
     */
    public void forRange(int start, int end, int grain, IntRangeBody body) {
        if (grain < 1) {
            throw new IllegalArgumentException("grain must be at least 1, got " + grain);
        }
        int n = end - start;
        if (n <= 0) {
            return;
        }
        int grains = (n + grain - 1) / grain;
        int chunks = Math.min(threads, grains);
        run(start, end, (grains + chunks - 1) / chunks * grain, body);
    }

    /**
     * Runs {@code body} over {@code [start, end)} in chunks of exactly {@code chunk} indices (the last
     * one shorter), which the team's threads, the caller included, claim one at a time until none is
     * left. For loops whose chunks cost about the same but whose threads may start late or run slow
     * (a worker woken from park, a core shared with the JIT or another process): with several chunks
     * per thread the others take up the slack instead of waiting for a fixed half. Runs inline when
     * the range is one chunk or the team is busy; exceptions are rethrown as by {@link #forRange}.
     */
    public void forChunks(int start, int end, int chunk, IntRangeBody body) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be at least 1, got " + chunk);
        }
        if (end - start > 0) {
            run(start, end, chunk, body);
        }
    }

    /**
     * A chunk size for {@link #forChunks} over {@code n} indices: about {@code perThread} chunks per
     * thread, a multiple of {@code grain}, at least one grain.
     */
    public int chunkFor(int n, int grain, int perThread) {
        int grains = (n + grain - 1) / grain;
        int chunks = Math.max(1, Math.min(grains, threads * perThread));
        return (grains + chunks - 1) / chunks * grain;
    }

    /** Publishes {@code [start, end)} in chunks of {@code chunkSize} and runs it to the end. */
    private void run(int start, int end, int chunkSize, IntRangeBody body) {
        int n = end - start;
        int chunks = (n + chunkSize - 1) / chunkSize;
        if (chunks <= 1 || threads == 1 || closed || !running.compareAndSet(false, true)) {
            body.run(start, end);
            return;
        }
        try {
            this.body = body;
            this.start = start;
            this.end = end;
            this.chunkSize = chunkSize;
            this.failure = null;
            this.waiter = Thread.currentThread();
            chunksDone.set(0);
            ticket.set((long) chunks << 32);
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            runChunks();
            // Spin for up to SPIN_NANOS (chunks are usually similar in size), then park until the
            // thread that finishes the last chunk unparks us; the timeout only bounds a lost-wakeup bug.
            long spinStart = 0;
            for (int spins = 0; chunksDone.get() < chunks; spins++) {
                if (spinStart >= 0 && (spins % SPINS_PER_CLOCK_READ != 0 || spinning(spinStart, spins))) {
                    Thread.onSpinWait();
                    if (spins == 0) {
                        spinStart = System.nanoTime();
                    }
                } else {
                    spinStart = -1;
                    LockSupport.parkNanos(this, 1_000_000);
                }
            }
            this.body = null;
            Throwable f = failure;
            if (f != null) {
                failure = null;
                if (f instanceof RuntimeException re) {
                    throw re;
                }
                if (f instanceof Error er) {
                    throw er;
                }
                throw new IllegalStateException("parallel loop body failed", f);
            }
        } finally {
            running.set(false);
        }
    }

    /** Claims and runs chunks of the published loop until none is left; true if it ran any. */
    private boolean runChunks() {
        boolean ran = false;
        while (true) {
            long t = ticket.get();
            int count = (int) (t >>> 32);
            int next = (int) t;
            if (next >= count) {
                return ran;
            }
            if (!ticket.compareAndSet(t, t + 1)) {
                continue;
            }
            ran = true;
            // The claim succeeded, so this loop is unfinished and its fields are the current ones.
            int from = start + next * chunkSize;
            int to = Math.min(end, from + chunkSize);
            try {
                body.run(from, to);
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                }
            } finally {
                if (chunksDone.incrementAndGet() == count) {
                    LockSupport.unpark(waiter);
                }
            }
        }
    }

    /** Whether a spin that began at {@code start} (read when {@code spins} was 0) may go on. */
    private static boolean spinning(long start, int spins) {
        return spins == 0 || System.nanoTime() - start < SPIN_NANOS;
    }

    private void workerLoop() {
        int idle = 0;
        long idleSince = 0;
        while (!closed) {
            if (runChunks()) {
                idle = 0;
            } else if (idle % SPINS_PER_CLOCK_READ != 0 || spinning(idleSince, idle)) {
                if (idle == 0) {
                    idleSince = System.nanoTime();
                }
                idle++;
                Thread.onSpinWait();
            } else {
                // Woken by a new loop (or by close): spin the whole budget again before the next park.
                LockSupport.park(this);
                idle = 0;
            }
        }
    }

    /** Stops the workers; later calls to {@link #forRange} run inline. */
    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        for (Thread w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
