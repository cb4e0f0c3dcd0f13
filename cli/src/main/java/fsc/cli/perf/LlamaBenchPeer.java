package fsc.cli.perf;

import fsc.ir.FscException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs llama.cpp's {@code llama-bench} on the same GGUF file with the same {@code -p/-n/-t/-r} and
 * reads its Markdown table back, so {@code fsc bench --peer llama-bench=PATH} prints both tables
 * and their ratio from one run on one machine state ({@link AlternatedRounds}).
 */
public final class LlamaBenchPeer {
    /** The peer's table as printed, and its (threads, test, mean, sd) rows. */
    public record Output(String table, List<LlamaBenchTable.Row> rows) {}

    private LlamaBenchPeer() {}

    public static Output run(
            Path exe, Path gguf, List<Integer> p, List<Integer> n, List<Integer> d, List<Integer> t, int reps) {
        if (!Files.isExecutable(exe)) {
            throw new FscException(
                    "--peer llama-bench=" + exe + ": not an executable file",
                    "build it with ../shared/tools/llama-bench.sh, which prints its folder");
        }
        List<String> cmd = new ArrayList<>(List.of(
                exe.toString(), "-m", gguf.toString(), "-o", "md", "-r", Integer.toString(reps), "-t", join(t)));
        cmd.addAll(List.of("-p", p.isEmpty() ? "0" : join(p), "-n", n.isEmpty() ? "0" : join(n), "-d", join(d)));
        try {
            Process proc = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!proc.waitFor(1, TimeUnit.HOURS)) {
                proc.destroy();
                throw new FscException("llama-bench did not finish within an hour: " + String.join(" ", cmd));
            }
            if (proc.exitValue() != 0) {
                throw new FscException("llama-bench failed (exit " + proc.exitValue() + "): " + String.join(" ", cmd));
            }
            return parse(out);
        } catch (IOException e) {
            throw new FscException("cannot run llama-bench " + exe + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FscException("interrupted while llama-bench ran");
        }
    }

    private static String join(List<Integer> v) {
        return v.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    /** Reads llama-bench's Markdown: the header names the columns; rows follow the separator line. */
    public static Output parse(String text) {
        List<String> lines = text.lines().filter(l -> l.startsWith("|")).toList();
        if (lines.size() < 2) {
            throw new FscException("llama-bench printed no Markdown table");
        }
        List<String> head = cells(lines.get(0));
        int model = head.indexOf("model");
        int threads = head.indexOf("threads");
        int test = head.indexOf("test");
        int ts = head.indexOf("t/s");
        if (threads < 0 || test < 0 || ts < 0) {
            throw new FscException("llama-bench's table lacks threads/test/t/s columns: " + head);
        }
        List<LlamaBenchTable.Row> rows = new ArrayList<>();
        for (String line : lines.subList(2, lines.size())) {
            List<String> c = cells(line);
            String[] ms = c.get(ts).split("±");
            rows.add(new LlamaBenchTable.Row(
                    model < 0 ? "" : c.get(model),
                    0,
                    0,
                    "",
                    Integer.parseInt(c.get(threads)),
                    c.get(test),
                    Double.parseDouble(ms[0].trim()),
                    ms.length > 1 ? Double.parseDouble(ms[1].trim()) : 0));
        }
        return new Output(String.join("\n", lines) + "\n", rows);
    }

    private static List<String> cells(String line) {
        String inner = line.substring(1, line.endsWith("|") ? line.length() - 1 : line.length());
        List<String> out = new ArrayList<>();
        for (String c : inner.split("\\|", -1)) {
            out.add(c.trim());
        }
        return out;
    }
}
