package fsc.cli.perf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * fsc's and llama-bench's rows from rounds that alternated on one machine ({@code fsc bench
 * --rounds K}): each round's fsc ÷ llama.cpp ratio per (threads, test), and both sides pooled over
 * the rounds. Why: the peer used to run once after all of fsc's tests, minutes apart, and on a
 * shared VM a slow spell of the host's memory system (seen as 30% swings in fsc's decode speed
 * between runs whose own spread was 1-3%) then lands on one engine only. Alternating puts both
 * engines in every spell; the per-round range shows how much the machine moved.
 */
public final class AlternatedRounds {
    private record Key(int threads, String test) {}

    private final Map<Key, List<LlamaBenchTable.Row>> ours = new LinkedHashMap<>();
    private final Map<Key, List<LlamaBenchTable.Row>> theirs = new LinkedHashMap<>();

    /** Adds one round: fsc's rows and the peer's rows measured right after them. */
    public void add(List<LlamaBenchTable.Row> fsc, List<LlamaBenchTable.Row> peer) {
        for (LlamaBenchTable.Row r : fsc) {
            ours.computeIfAbsent(key(r), k -> new ArrayList<>()).add(r);
        }
        for (LlamaBenchTable.Row r : peer) {
            theirs.computeIfAbsent(key(r), k -> new ArrayList<>()).add(r);
        }
    }

    /** fsc's rows pooled over the rounds, in the order first seen. */
    public List<LlamaBenchTable.Row> fscRows() {
        return ours.values().stream().map(AlternatedRounds::pool).toList();
    }

    /**
     * fsc ÷ peer per (threads, test) present in both: pooled means and their ratio, and with more
     * than one round the lowest and highest of the rounds' own ratios.
     */
    public String ratios() {
        boolean rounds = ours.values().stream().anyMatch(l -> l.size() > 1);
        StringBuilder b = new StringBuilder("| threads | test | fsc t/s | llama.cpp t/s | fsc / llama.cpp |");
        b.append(rounds ? " per-round min–max |\n" : "\n");
        b.append("| ---: | ---: | ---: | ---: | ---: |").append(rounds ? " ---: |\n" : "\n");
        for (Map.Entry<Key, List<LlamaBenchTable.Row>> e : ours.entrySet()) {
            List<LlamaBenchTable.Row> peer = theirs.get(e.getKey());
            if (peer == null) {
                continue;
            }
            LlamaBenchTable.Row r = pool(e.getValue());
            LlamaBenchTable.Row q = pool(peer);
            b.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %.2f ± %.2f | %.2f ± %.2f | %.2f |",
                    r.threads(),
                    r.test(),
                    r.mean(),
                    r.sd(),
                    q.mean(),
                    q.sd(),
                    r.mean() / q.mean()));
            if (rounds) {
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                int n = Math.min(e.getValue().size(), peer.size());
                for (int i = 0; i < n; i++) {
                    double ratio = e.getValue().get(i).mean() / peer.get(i).mean();
                    lo = Math.min(lo, ratio);
                    hi = Math.max(hi, ratio);
                }
                b.append(String.format(Locale.ROOT, " %.2f–%.2f |", lo, hi));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /**
     * Rows of equal repetition counts as one: the mean of the means, and the standard deviation of
     * all repetitions together (the mean within-round variance plus the variance of the round means).
     */
    static LlamaBenchTable.Row pool(List<LlamaBenchTable.Row> rows) {
        LlamaBenchTable.Row first = rows.getFirst();
        double mean =
                rows.stream().mapToDouble(LlamaBenchTable.Row::mean).average().orElseThrow();
        double within =
                rows.stream().mapToDouble(r -> r.sd() * r.sd()).average().orElseThrow();
        double between = rows.stream()
                .mapToDouble(r -> (r.mean() - mean) * (r.mean() - mean))
                .average()
                .orElseThrow();
        return new LlamaBenchTable.Row(
                first.model(),
                first.sizeBytes(),
                first.params(),
                first.backend(),
                first.threads(),
                first.test(),
                mean,
                Math.sqrt(within + between));
    }

    private static Key key(LlamaBenchTable.Row r) {
        return new Key(r.threads(), r.test());
    }
}
