package fsc.tests.fuzz;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one {@code fsc} command line with a time limit and a 1 GB heap, for {@link MutationRun}. */
sealed interface Runner extends AutoCloseable {
    /** Exit code and stderr bytes; {@code timedOut} when the command was killed at the limit. */
    record Result(int code, byte[] stderr, boolean timedOut) {}

    /** Runs {@code args} with {@code timeoutS} seconds to answer. */
    Result run(List<String> args, int timeoutS) throws Exception;

    @Override
    void close() throws Exception;

    /** The JVM flags the {@code ./fsc} launcher uses, with the run's 1 GB heap. */
    static List<String> jvm(Path home) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ArrayList<>(List.of(
                java,
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-XX:+UseParallelGC",
                "-Xss8m",
                "-Xmx1g",
                "-Dfsc.home=" + home));
    }

    /**
     * When a command counts as hung: {@code timeoutS} seconds of CPU time (a busy loop), or ten
     * times that in wall time (a blocked read). CPU time, because on a shared machine at load 20-30
     * a healthy compile waits for a core far longer than it computes (one took 67 s of wall time for
     * 5 s of CPU).
     */
    final class Limit {
        private final int timeoutS;
        private final List<ProcessHandle> roots;
        private final long startNanos = System.nanoTime();
        private final long startCpu;

        Limit(int timeoutS, List<ProcessHandle> roots) {
            this.timeoutS = timeoutS;
            this.roots = roots;
            this.startCpu = cpuNanos();
        }

        private long cpuNanos() {
            long sum = 0;
            for (ProcessHandle r : roots) {
                sum += cpu(r);
                for (ProcessHandle d : r.descendants().toList()) {
                    sum += cpu(d);
                }
            }
            return sum;
        }

        private static long cpu(ProcessHandle h) {
            return h.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
        }

        /** Null while within the limit, else what was exceeded. */
        String exceeded() {
            double cpu = (cpuNanos() - startCpu) / 1e9;
            double wall = (System.nanoTime() - startNanos) / 1e9;
            if (cpu > timeoutS || wall > 10.0 * timeoutS) {
                return String.format(
                        java.util.Locale.ROOT, "killed after %.0f s of CPU, %.0f s of wall time", cpu, wall);
            }
            return null;
        }
    }

    /** Through {@link FuzzWorker} JVMs: one for many commands, replaced after a hang or every 300 runs. */
    final class Workers implements Runner {
        private final Path home;
        private final Path log;
        private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "worker-reader");
            t.setDaemon(true);
            return t;
        });
        private Process p;
        private DataInputStream in;
        private OutputStream toWorker;
        private int runs;

        Workers(Path home, Path log) throws IOException {
            this.home = Files.createDirectories(home);
            this.log = log;
        }

        private void start() throws IOException {
            List<String> cmd = jvm(home);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FuzzWorker.class.getName()));
            p = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            in = new DataInputStream(p.getInputStream());
            toWorker = p.getOutputStream();
            runs = 0;
        }

        private void stop() {
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                p = null;
            }
        }

        @Override
        public Result run(List<String> args, int timeoutS) throws Exception {
            if (p == null || !p.isAlive() || runs >= 300) {
                stop();
                start();
            }
            runs++;
            toWorker.write((String.join("\t", args) + "\n").getBytes(StandardCharsets.UTF_8));
            toWorker.flush();
            Future<Result> f = reader.submit(() -> {
                int code = in.readInt();
                byte[] err = new byte[in.readInt()];
                in.readFully(err);
                return new Result(code, err, false);
            });
            try {
                Limit limit = new Limit(timeoutS, List.of(p.toHandle()));
                while (true) {
                    try {
                        return f.get(1, TimeUnit.SECONDS);
                    } catch (TimeoutException e) {
                        String over = limit.exceeded();
                        if (over != null) {
                            stop();
                            f.cancel(true);
                            return new Result(-1, over.getBytes(StandardCharsets.UTF_8), true);
                        }
                    }
                }
            } catch (java.util.concurrent.ExecutionException e) {
                stop();
                return new Result(98, ("worker died: " + e.getCause()).getBytes(StandardCharsets.UTF_8), false);
            }
        }

        @Override
        public void close() {
            stop();
            reader.shutdownNow();
        }
    }

    /** Through the {@code ./fsc} script, one JVM per command: the exact path a user's shell takes. */
    final class Launcher implements Runner {
        private final Path fsc;

        Launcher(Path fsc) {
            this.fsc = fsc.toAbsolutePath();
        }

        @Override
        public Result run(List<String> args, int timeoutS) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(fsc.toString()));
            cmd.addAll(args);
            Path err = Files.createTempFile("fsc-err", ".txt");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(err.toFile());
                pb.environment().put("FSC_SKIP_BUILD", "1");
                pb.environment().put("FSC_JAVA_OPTS", "-Xmx1g");
                Process p = pb.start();
                Limit limit = new Limit(timeoutS, List.of(p.toHandle()));
                while (!p.waitFor(1, TimeUnit.SECONDS)) {
                    String over = limit.exceeded();
                    if (over != null) {
                        p.descendants().forEach(ProcessHandle::destroyForcibly);
                        p.destroyForcibly();
                        p.waitFor();
                        return new Result(-1, over.getBytes(StandardCharsets.UTF_8), true);
                    }
                }
                // The stderr filter runs in a process substitution: let it finish writing.
                p.descendants().forEach(h -> h.onExit().join());
                return new Result(p.exitValue(), Files.readAllBytes(err), false);
            } finally {
                Files.deleteIfExists(err);
            }
        }

        @Override
        public void close() {}
    }
}
