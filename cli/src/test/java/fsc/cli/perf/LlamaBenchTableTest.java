package fsc.cli.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** fsc's decoder table has llama-bench's columns and widths, and llama-bench's table reads back. */
class LlamaBenchTableTest {
    /** Verbatim llama-bench output (llama.cpp de3ff81, stories260K.gguf, -p 128 -n 64 -t 1,2 -r 3). */
    static final String LLAMA_BENCH =
            """
            | model                          |       size |     params | backend    | threads |            test |                  t/s |
            | ------------------------------ | ---------: | ---------: | ---------- | ------: | --------------: | -------------------: |
            | llama ?B (guessed) all F32     |   1.12 MiB |     0.29 M | CPU        |       1 |           pp128 |       995.88 ± 27.89 |
            | llama ?B (guessed) all F32     |   1.12 MiB |     0.29 M | CPU        |       1 |            tg64 |      1133.69 ± 83.32 |
            | llama ?B (guessed) all F32     |   1.12 MiB |     0.29 M | CPU        |       2 |           pp128 |       163.35 ± 41.42 |

            build: de3ff81 (1)
            """;

    @Test
    void rendersTheSameHeaderAndColumnWidths() {
        String ours = LlamaBenchTable.render(List.of(
                new LlamaBenchTable.Row("llama F32", 1_175_000, 292_000, "fsc (Java)", 1, "pp128", 1197.9, 523.47),
                new LlamaBenchTable.Row("llama Q8_0", 3L << 30, 6_740_000_000L, "fsc (Java)", 2, "tg64", 9.5, 0.125)));
        List<String> theirs = LLAMA_BENCH.lines().toList();
        List<String> lines = ours.lines().toList();
        assertEquals(theirs.get(0), lines.get(0));
        assertEquals(theirs.get(1), lines.get(1));
        assertEquals(theirs.get(2).length(), lines.get(2).length());
        assertEquals(
                "| llama F32                      |   1.12 MiB |     0.29 M | fsc (Java) |       1 |           pp128 |     1197.90 ± 523.47 |",
                lines.get(2));
        assertEquals(
                "| llama Q8_0                     |   3.00 GiB |     6.74 B | fsc (Java) |       2 |            tg64 |          9.50 ± 0.13 |",
                lines.get(3));
    }

    @Test
    void readsLlamaBenchsTableAndComputesRatios() {
        LlamaBenchPeer.Output o = LlamaBenchPeer.parse(LLAMA_BENCH);
        assertEquals(3, o.rows().size());
        assertEquals(2, o.rows().get(2).threads());
        assertEquals("tg64", o.rows().get(1).test());
        assertEquals(1133.69, o.rows().get(1).mean());
        assertEquals(83.32, o.rows().get(1).sd());
        AlternatedRounds one = new AlternatedRounds();
        one.add(List.of(new LlamaBenchTable.Row("m", 0, 0, "fsc", 1, "tg64", 566.845, 10)), o.rows());
        assertEquals(
                "| 1 | tg64 | 566.85 ± 10.00 | 1133.69 ± 83.32 | 0.50 |",
                one.ratios().lines().toList().get(2));
    }

    /**
     * Rounds that alternated with the peer: both sides pooled (mean of means; sd over every
     * repetition, so a round that moved shows as spread), and each round's own ratio range.
     */
    @Test
    void poolsAlternatedRoundsAndGivesEachRoundsRatio() {
        AlternatedRounds rounds = new AlternatedRounds();
        rounds.add(List.of(row("fsc", 30, 1)), List.of(row("llama", 30, 1)));
        rounds.add(List.of(row("fsc", 20, 1)), List.of(row("llama", 25, 1)));
        List<String> lines = rounds.ratios().lines().toList();
        assertEquals(
                "| threads | test | fsc t/s | llama.cpp t/s | fsc / llama.cpp | per-round min–max |", lines.get(0));
        // fsc: means 30 and 20 -> 25, sd sqrt(1 + 25); llama.cpp: 27.5, sd sqrt(1 + 6.25); rounds 1.00 and 0.80.
        assertEquals("| 1 | tg64 | 25.00 ± 5.10 | 27.50 ± 2.69 | 0.91 | 0.80–1.00 |", lines.get(2));
        assertEquals(25.0, rounds.fscRows().getFirst().mean());
    }

    private static LlamaBenchTable.Row row(String backend, double mean, double sd) {
        return new LlamaBenchTable.Row("m", 0, 0, backend, 1, "tg64", mean, sd);
    }
}
