package fsc.cli.edge;

import fsc.runtime.RuntimeFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Creates a packaged model's JDK AOT cache in one step (JEP 514: {@code -XX:AOTCacheOutput}): the
 * packaged runtime runs {@code fsc.runtime.AotTraining} from the model jar on random inputs, and at
 * exit the JVM writes the classes it loaded and linked (JEP 483) and the method profiles it
 * gathered (JEP 515). The training JVM uses the launcher's options and the same class path (the
 * jar alone), as the cache requires.
 */
public final class AotCacheTrainer {
    static final String TRAINING_CLASS = "fsc.runtime.AotTraining";

    private AotCacheTrainer() {}

    /**
     * Trains {@code cache} from {@code jar} on {@code runtime}'s java with {@code calls} calls per
     * input shape ({@code bindings}: {@code SYM=V,...} each; none: the trainer's default shapes).
     */
    /**
     * What the training run measured: its calls' times on the first input shape, in order (empty
     * for a decoder, which trains on generate), with that shape, and the JVM's peak RSS (-1 unknown).
     */
    public record Training(String shape, List<Double> callMillis, long peakRssBytes) {
        static Training parse(List<String> log) {
            String shape = null;
            List<Double> ms = new ArrayList<>();
            long rss = -1;
            for (String line : log) {
                Matcher m = CALL.matcher(line);
                if (m.matches() && (shape == null || shape.equals(m.group(1)))) {
                    shape = m.group(1);
                    ms.add(Double.parseDouble(m.group(2)));
                } else if (line.startsWith("peak RSS ") && line.endsWith(" bytes")) {
                    rss = Long.parseLong(line.substring(9, line.length() - 6));
                }
            }
            return new Training(shape, List.copyOf(ms), rss);
        }

        private static final Pattern CALL = Pattern.compile("(\\S+) call \\d+: ([0-9.]+) ms");
    }

    public static Training train(Path runtime, Path jar, Path cache, int calls, List<String> bindings)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(runtime.resolve("bin").resolve("java").toString());
        cmd.addAll(Launcher.JVM_OPTIONS);
        cmd.add("-XX:AOTCacheOutput=" + cache);
        cmd.add("-cp");
        cmd.add(jar.toString());
        cmd.add(TRAINING_CLASS);
        cmd.add(Integer.toString(calls));
        cmd.addAll(bindings);
        Path log = cache.resolveSibling(cache.getFileName() + ".log");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        int code = p.waitFor();
        if (code != 0 || !Files.isRegularFile(cache)) {
            List<String> lines = Files.readAllLines(log);
            String tail = String.join(" | ", lines.subList(Math.max(0, lines.size() - 4), lines.size()));
            throw new RuntimeFailure("AOT cache training failed (exit " + code + "; log " + log + "): " + tail);
        }
        Training t = Training.parse(Files.readAllLines(log));
        Files.delete(log);
        return t;
    }
}
