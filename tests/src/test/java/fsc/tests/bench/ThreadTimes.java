package fsc.tests.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the CPUs went during a block of benchmark calls, from Linux's per-thread scheduler counters:
 * {@code /proc/self/task/TID/schedstat} gives each thread's nanoseconds on a CPU and nanoseconds
 * runnable but waiting for one, {@code /proc/stat} the whole machine's busy time. On a 2-vCPU machine
 * a two-thread call is only as fast as its slower half, so a block whose wall time is far above its
 * CPU time is explained by who else ran: the team's worker waiting for a core, the JIT compiling,
 * ONNX Runtime's pool threads spinning (native threads, named after the Java thread that created
 * them), the collector, or other processes. Linux-only; on other systems {@link #snapshot} returns
 * an empty snapshot and {@link #describe} says so.
 */
final class ThreadTimes {
    private record Task(String comm, long runNs, long waitNs, long slices) {}

    /** A moment's counters: each thread of this process, the calling thread, the machine. */
    record Snapshot(
            Map<Integer, Task> tasks,
            long callerRunNs,
            long callerWaitNs,
            long callerSlices,
            long machineBusyNs,
            long selfNs) {}

    private static final Path TASKS = Path.of("/proc/self/task");
    private static final long NS_PER_TICK = 10_000_000L; // USER_HZ = 100 on Linux x86-64

    private ThreadTimes() {}

    static Snapshot snapshot() {
        Map<Integer, Task> tasks = new HashMap<>();
        long[] caller = {0, 0, 0};
        long busy = 0;
        long self = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(TASKS)) {
            for (Path p : ds) {
                try {
                    long[] s = schedstat(p.resolve("schedstat"));
                    String comm = Files.readString(p.resolve("comm")).strip();
                    tasks.put(Integer.parseInt(p.getFileName().toString()), new Task(comm, s[0], s[1], s[2]));
                } catch (IOException | RuntimeException e) {
                    // the thread ended between the listing and the read
                }
            }
            caller = schedstat(Path.of("/proc/thread-self/schedstat"));
            String[] cpu =
                    Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
            for (int i = 1; i <= 8 && i < cpu.length; i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(cpu[i]);
                }
            }
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            self = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
        } catch (IOException | RuntimeException e) {
            return new Snapshot(Map.of(), 0, 0, 0, 0, 0);
        }
        return new Snapshot(tasks, caller[0], caller[1], caller[2], busy * NS_PER_TICK, self * NS_PER_TICK);
    }

    /**
     * Nanoseconds the JIT's compiler threads have run so far, or -1 where Linux's counters are not
     * there. Unlike {@code CompilationMXBean.getTotalCompilationTime} this counts a compilation that
     * is still running (one C2 compile of a big method took seconds of CPU in these benches).
     */
    static long jitCpuNanos() {
        long sum = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(TASKS)) {
            for (Path p : ds) {
                try {
                    if (group(Files.readString(p.resolve("comm")).strip()).equals("jit")) {
                        sum += schedstat(p.resolve("schedstat"))[0];
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return sum;
    }

    private static long[] schedstat(Path p) throws IOException {
        String[] s = Files.readString(p).trim().split("\\s+");
        return new long[] {Long.parseLong(s[0]), Long.parseLong(s[1]), Long.parseLong(s[2])};
    }

    /**
     * One line: per call, the caller's and each group of threads' CPU, wait for a CPU (ms) and
     * number of times scheduled onto a CPU ("runs": each park and wake-up of a team worker is one),
     * and what other processes used (ms).
     */
    static String describe(Snapshot a, Snapshot b, int calls) {
        if (a.tasks().isEmpty() || b.tasks().isEmpty()) {
            return "(no /proc scheduler counters)";
        }
        double per = 1e6 * calls;
        Map<String, long[]> groups = new HashMap<>();
        List<String> order = List.of("fsc-worker", "jit", "gc", "other");
        for (var e : b.tasks().entrySet()) {
            Task t1 = e.getValue();
            Task t0 = a.tasks().getOrDefault(e.getKey(), new Task(t1.comm(), 0, 0, 0));
            long run = t1.runNs() - t0.runNs();
            long wait = t1.waitNs() - t0.waitNs();
            String g = group(t1.comm());
            long[] acc = groups.computeIfAbsent(g, k -> new long[3]);
            acc[0] += run;
            acc[1] += wait;
            acc[2] += t1.slices() - t0.slices();
        }
        long callerRun = b.callerRunNs() - a.callerRunNs();
        long callerWait = b.callerWaitNs() - a.callerWaitNs();
        // The caller is among the "other" tasks (its comm is the test thread's); take it out.
        long callerSlices = b.callerSlices() - a.callerSlices();
        long[] other = groups.computeIfAbsent("other", k -> new long[3]);
        other[0] -= callerRun;
        other[1] -= callerWait;
        other[2] -= callerSlices;
        long otherProcs = (b.machineBusyNs() - a.machineBusyNs()) - (b.selfNs() - a.selfNs());
        List<String> parts = new ArrayList<>();
        parts.add(String.format(
                "caller cpu %.2f wait %.2f runs %.0f",
                callerRun / per, callerWait / per, callerSlices / (double) calls));
        for (String g : order) {
            long[] acc = groups.get(g);
            if (acc != null) {
                parts.add(String.format(
                        "%s cpu %.2f wait %.2f runs %.0f", g, acc[0] / per, acc[1] / per, acc[2] / (double) calls));
            }
        }
        parts.add(String.format("other processes cpu %.2f", otherProcs / per));
        return String.join("; ", parts) + " (ms per call)";
    }

    private static String group(String comm) {
        if (comm.startsWith("fsc-worker")) {
            return "fsc-worker";
        }
        if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
            return "jit";
        }
        if (comm.startsWith("GC ") || comm.startsWith("G1 ") || comm.startsWith("VM Thread")) {
            return "gc";
        }
        return "other";
    }
}
