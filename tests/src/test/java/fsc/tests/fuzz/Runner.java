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

    Result run(List<String> args) throws Exception;

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

    /** Through {@link FuzzWorker} JVMs: one for many commands, replaced after a hang or every 300 runs. */
    final class Workers implements Runner {
        private final Path home;
        private final int timeoutS;
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

        Workers(Path home, int timeoutS, Path log) throws IOException {
            this.home = Files.createDirectories(home);
            this.timeoutS = timeoutS;
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
        public Result run(List<String> args) throws Exception {
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
                // The first command of a fresh worker also pays the JVM's start.
                return f.get(timeoutS + (runs == 1 ? 10 : 0), TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                stop();
                f.cancel(true);
                return new Result(-1, new byte[0], true);
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
        private final int timeoutS;

        Launcher(Path fsc, int timeoutS) {
            this.fsc = fsc.toAbsolutePath();
            this.timeoutS = timeoutS;
        }

        @Override
        public Result run(List<String> args) throws Exception {
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
                if (!p.waitFor(timeoutS + 5L, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor();
                    return new Result(-1, Files.readAllBytes(err), true);
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
