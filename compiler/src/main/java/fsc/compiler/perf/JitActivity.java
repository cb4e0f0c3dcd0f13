package fsc.compiler.perf;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Whether HotSpot's JIT is still working on the code being timed: a compile of an {@code fsc} or
 * Vector API method running or queued ({@code jcmd Compiler.queue}, through the DiagnosticCommand
 * MBean, ~0.1 ms). A warm-up that only watched timings could end while the compiler threads,
 * starved on a loaded machine, still have the model's hot methods queued: the runs then look flat
 * at interpreter speed for seconds. Compiles of unrelated JDK methods do not count (on a busy
 * machine the queue is rarely empty). Where the queue cannot be read (not HotSpot), a change in
 * the total compilation time stands in.
 *
 * <p>An empty queue is not enough either: code running in C1 (tier 3, profiling) waits for its
 * counters before C2 is even asked, and C1 cannot remove the Vector API's boxes, so it allocates
 * megabytes per call where C2 code allocates nothing. {@link #allocating} catches that phase from
 * the calling thread's allocation counter.
 */
public final class JitActivity {
    private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    private final boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
    private long lastTotal = timed ? jit.getTotalCompilationTime() : 0;
    private boolean queueReadable = true;
    private final com.sun.management.ThreadMXBean threads =
            ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t ? t : null;
    private long lastAllocated = allocated();

    /** Heap bytes per call above which the timed code is taken to be still in C1 or the interpreter. */
    public static final long C1_ALLOCATION_BYTES = 64 * 1024;

    private long allocated() {
        return threads == null
                ? 0
                : threads.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    /**
     * True when this thread allocated more than {@link #C1_ALLOCATION_BYTES} per call over the
     * {@code calls} calls since the last look: compiled (C2) fsc code allocates nothing per call.
     */
    public boolean allocating(int calls) {
        long now = allocated();
        long per = (now - lastAllocated) / Math.max(1, calls);
        lastAllocated = now;
        return per > C1_ALLOCATION_BYTES;
    }

    /** True when a compile of the timed code is running or waiting (or, without the queue, any compile finished). */
    public boolean busy() {
        if (queueReadable) {
            boolean q = queued();
            if (queueReadable) {
                return q;
            }
        }
        if (!timed) {
            return false;
        }
        long t = jit.getTotalCompilationTime();
        boolean moved = t != lastTotal;
        lastTotal = t;
        return moved;
    }

    private boolean queued() {
        if (!queueReadable) {
            return false;
        }
        try {
            MBeanServer s = ManagementFactory.getPlatformMBeanServer();
            Object r = s.invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "compilerQueue",
                    new Object[] {null},
                    new String[] {String[].class.getName()});
            return hasWork(String.valueOf(r));
        } catch (Exception | LinkageError e) {
            queueReadable = false; // not HotSpot, or jdk.management absent: timings alone decide
            return false;
        }
    }

    /** Reads {@code Compiler.queue} output: a running or queued compile of fsc or Vector API code means work. */
    static boolean hasWork(String queue) {
        for (String line : queue.lines().toList()) {
            String l = line.strip();
            boolean compile = l.contains("CompilerThread") || (!l.isEmpty() && Character.isDigit(l.charAt(0)));
            if (compile
                    && (l.contains(" fsc.")
                            || l.contains("jdk.incubator.vector")
                            || l.contains("jdk.internal.vm.vector"))) {
                return true;
            }
        }
        return false;
    }
}
