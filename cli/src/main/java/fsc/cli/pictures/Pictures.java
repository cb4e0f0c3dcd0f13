package fsc.cli.pictures;

import fsc.ir.FscException;
import fsc.ir.Graph;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Writes {@code fsc inspect --graph} and {@code --memory-plan} files. The graph goes through
 * Graphviz {@code dot} when it is on the PATH (Debian package {@code graphviz}); otherwise the DOT
 * text is written next to the requested file and the returned message says how to render it.
 */
public final class Pictures {
    private Pictures() {}

    /** Writes the graph picture; returns one line saying what was written. */
    public static String writeGraph(Graph g, Path target, String pathEnv) throws IOException {
        String dot = GraphDot.render(g);
        String file = target.getFileName().toString();
        if (file.endsWith(".dot")) {
            Files.writeString(target, dot, StandardCharsets.UTF_8);
            return "wrote " + target;
        }
        Path dotExe = findOnPath("dot", pathEnv);
        String format = file.contains(".") ? file.substring(file.lastIndexOf('.') + 1) : "svg";
        Path dotFile = target.resolveSibling(file.replaceAll("\\.[^.]*$", "") + ".dot");
        Files.writeString(dotFile, dot, StandardCharsets.UTF_8);
        if (dotExe == null) {
            return "Graphviz 'dot' is not on the PATH: wrote " + dotFile + "; render it with `dot -T" + format + " "
                    + dotFile + " -o " + target + "` (Debian/Ubuntu: apt-get install graphviz)";
        }
        Process p = new ProcessBuilder(
                        List.of(dotExe.toString(), "-T" + format, dotFile.toString(), "-o", target.toString()))
                .redirectErrorStream(true)
                .start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                throw new FscException("dot failed on " + dotFile + ": " + log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FscException("interrupted while running dot on " + dotFile);
        }
        return "wrote " + target + " (from " + dotFile + " with " + dotExe + ")";
    }

    /** Writes the memory-plan SVG; returns one line with the plan's three numbers. */
    public static String writeMemoryPlan(Graph g, Path target) throws IOException {
        Files.writeString(target, MemoryPlanSvg.render(g), StandardCharsets.UTF_8);
        var p = g.plan();
        return "wrote " + target + ": arena " + p.arenaBytes() + " bytes, peak live " + p.peakLiveBytes()
                + " bytes (lower bound), naive " + p.naiveBytes() + " bytes";
    }

    static Path findOnPath(String exe, String pathEnv) {
        if (pathEnv == null) {
            return null;
        }
        for (String dir : pathEnv.split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, exe);
            if (!dir.isEmpty() && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
