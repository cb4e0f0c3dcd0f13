package fsc.passes;

import fsc.ir.Graph;
import java.util.List;
import java.util.Locale;

/** The graph a pipeline produced and what each pass did, in order. */
public record PipelineResult(Graph graph, List<PassRun> runs) {

    public PipelineResult {
        runs = List.copyOf(runs);
    }

    /**
     * The {@code --time-passes} table: one row per pass with its time and node counts, then the
     * total. Times vary between runs; everything else in the table does not.
     */
    public String timingReport() {
        int width = Math.max(
                "pass".length(),
                runs.stream().mapToInt(r -> r.pass().length()).max().orElse(0));
        String row = "%-3s %-" + width + "s %10s  %s%n";
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, row, "#", "pass", "ms", "nodes"));
        long total = 0;
        for (PassRun r : runs) {
            total += r.nanos();
            sb.append(String.format(
                    Locale.ROOT,
                    row,
                    String.format(Locale.ROOT, "%02d", r.index()),
                    r.pass(),
                    String.format(Locale.ROOT, "%.2f", r.millis()),
                    r.nodesBefore() + " -> " + r.nodesAfter()));
        }
        int first = runs.isEmpty() ? graph.nodes().size() : runs.getFirst().nodesBefore();
        sb.append(String.format(
                Locale.ROOT,
                row,
                "",
                "total",
                String.format(Locale.ROOT, "%.2f", total / 1e6),
                first + " -> " + graph.nodes().size()));
        return sb.toString();
    }
}
