package fsc.runtime.perf;

import java.util.concurrent.CyclicBarrier;
import java.util.function.IntToDoubleFunction;

/**
 * Runs one body on {@code threads} platform threads released together, and returns the wall time
 * until the last one finishes: the shape of every machine-peak measurement (all threads busy at
 * once, time of the slowest). Each body returns a value that is summed into {@link #sink} so the
 * JIT cannot drop the work.
 */
final class Team {
    /** Written once per run so results stay observable. */
    static volatile double sink;

    private Team() {}

    /** Wall nanoseconds of one simultaneous run of {@code body.applyAsDouble(threadIndex)}. */
    static long run(int threads, IntToDoubleFunction body) {
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        double[] results = new double[threads];
        Throwable[] failure = new Throwable[1];
        Thread[] team = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            team[t] = new Thread(
                    () -> {
                        try {
                            start.await();
                            results[id] = body.applyAsDouble(id);
                        } catch (Throwable e) {
                            synchronized (failure) {
                                failure[0] = e;
                            }
                        }
                    },
                    "fsc-peak-" + t);
            team[t].start();
        }
        long t0;
        try {
            start.await();
            t0 = System.nanoTime();
            for (Thread th : team) {
                th.join();
            }
        } catch (Exception e) {
            throw new IllegalStateException("peak measurement interrupted", e);
        }
        long wall = System.nanoTime() - t0;
        synchronized (failure) {
            if (failure[0] != null) {
                throw new IllegalStateException("peak measurement failed: " + failure[0], failure[0]);
            }
        }
        double s = 0;
        for (double r : results) {
            s += r;
        }
        sink = s;
        return wall;
    }
}
