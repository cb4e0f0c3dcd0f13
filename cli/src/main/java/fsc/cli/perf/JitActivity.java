package fsc.cli.perf;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Whether HotSpot's JIT is still working: a compile finished since the last look (total compilation
 * time moved), or one is running or queued ({@code jcmd Compiler.queue}, through the
 * DiagnosticCommand MBean, ~0.1 ms). A warm-up that only watched timings could end while the
 * compiler threads, starved on a loaded machine, still have the model's hot methods queued: the
 * runs then look flat at interpreter speed for seconds.
 */
final class JitActivity {
    private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    private final boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
    private long lastTotal = timed ? jit.getTotalCompilationTime() : 0;
    private boolean queueReadable = true;

    /** True when compiles finished since the last call or are running or waiting now. */
    boolean busy() {
        boolean moved = false;
        if (timed) {
            long t = jit.getTotalCompilationTime();
            moved = t != lastTotal;
            lastTotal = t;
        }
        return moved || queued();
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

    /** Reads {@code Compiler.queue} output: a compiler thread line or a queued compile id means work. */
    static boolean hasWork(String queue) {
        for (String line : queue.lines().toList()) {
            String l = line.strip();
            if (l.contains("CompilerThread") || (!l.isEmpty() && Character.isDigit(l.charAt(0)))) {
                return true;
            }
        }
        return false;
    }
}
