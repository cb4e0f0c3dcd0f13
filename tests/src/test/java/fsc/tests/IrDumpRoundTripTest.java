package fsc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.Main;
import fsc.ir.Graph;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import fsc.ir.text.WeightSideFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every MiniLM dump reads back to the graph it was printed from ({@code print(parse(print(g))) ==
 * print(g)}), {@code fsc opt} runs passes on a dump, and {@code fsc compile} resumes from one.
 */
class IrDumpRoundTripTest {
    @TempDir
    static Path work;

    static Path irDir;
    static List<Path> dumps;

    @BeforeAll
    static void dump() throws Exception {
        irDir = work.resolve("ir");
        int code = Main.execute(
                "compile",
                TestModels.minilm().toString(),
                "-o",
                work.resolve("m.jar").toString(),
                "--dump-ir",
                irDir.toString(),
                "--quiet");
        assertEquals(0, code);
        try (Stream<Path> s = Files.list(irDir)) {
            dumps = s.filter(p -> p.toString().endsWith(".fsir")).sorted().toList();
        }
        assertTrue(dumps.size() >= 4, dumps.toString());
    }

    @Test
    void everyDumpReadsBackToTheSameText() throws Exception {
        var weights = WeightSideFile.read(irDir.resolve(WeightSideFile.NAME));
        for (Path p : dumps) {
            String text = Files.readString(p);
            Graph g = IrParser.parse(text, p.getFileName().toString(), weights);
            assertEquals(text, IrPrinter.print(g), p.toString());
        }
    }

    @Test
    void optRunsPassesOnADump() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(
                new PrintWriter(out),
                new PrintWriter(err),
                "opt",
                dumps.get(1).toString(),
                "--passes",
                "cse,dce",
                "--print-ir-after",
                "dce");
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("// ----- IR after dce (#2)"), out.toString());
        assertTrue(out.toString().contains("graph @"), out.toString());
    }

    @Test
    void compileResumesFromTheLastDump() {
        Path jar = work.resolve("resumed.jar");
        StringWriter err = new StringWriter();
        int code = Main.execute(
                new PrintWriter(new StringWriter()),
                new PrintWriter(err),
                "compile",
                dumps.getLast().toString(),
                "-o",
                jar.toString(),
                "--quiet");
        assertEquals(0, code, err.toString());
        assertTrue(Files.exists(jar));
    }

    @Test
    void aDumpWithoutItsSideFileIsAClearError() throws Exception {
        Path alone = Files.createDirectories(work.resolve("alone")).resolve("01-fold.fsir");
        Files.copy(dumps.get(1), alone);
        StringWriter err = new StringWriter();
        int code = Main.execute(
                new PrintWriter(new StringWriter()), new PrintWriter(err), "compile", alone.toString(), "--quiet");
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("weights side file"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }
}
