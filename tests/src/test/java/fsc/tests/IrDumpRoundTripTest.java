package fsc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.ir.Graph;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import fsc.ir.text.WeightSideFile;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.io.TensorFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every MiniLM dump reads back to the graph it was printed from ({@code print(parse(print(g))) ==
 * print(g)}), {@code fsc opt} runs passes on a dump, and {@code fsc compile} resumes from one.
 */
class IrDumpRoundTripTest {
    /** One tokenized sentence, kept in the repository for the README's commands. */
    private static final Path INPUTS = Path.of(System.getProperty("user.dir"), "..", "examples", "inputs");

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
        // The resumed jar must be the same model, not merely a jar: same outputs on the same inputs.
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (String name : List.of("input_ids", "attention_mask", "token_type_ids")) {
            inputs.put(name, TensorFiles.read(INPUTS.resolve(name + ".npy")));
        }
        try (CompiledModel straight = ArtifactLoader.open(work.resolve("m.jar"), 1);
                CompiledModel resumed = ArtifactLoader.open(jar, 1)) {
            Map<String, Tensor> a = straight.run(inputs);
            Map<String, float[]> expected = new LinkedHashMap<>();
            a.forEach((k, v) -> expected.put(k, v.toFloatArray()));
            Map<String, Tensor> b = resumed.run(inputs);
            assertEquals(expected.keySet(), b.keySet());
            for (var e : expected.entrySet()) {
                float[] want = e.getValue();
                float[] got = b.get(e.getKey()).toFloatArray();
                assertEquals(want.length, got.length, e.getKey());
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-5f, e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void optWithoutPassesPrintsADumpBack() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(
                new PrintWriter(out), new PrintWriter(err), "opt", dumps.get(3).toString());
        assertEquals(0, code, err.toString());
        assertEquals(Files.readString(dumps.get(3)), out.toString());
    }

    @Test
    void aDumpWithoutItsSideFileIsAClearError() throws Exception {
        Path alone = Files.createDirectories(work.resolve("alone")).resolve("02-fold.fsir");
        Files.copy(dumps.get(2), alone);
        StringWriter err = new StringWriter();
        int code = Main.execute(
                new PrintWriter(new StringWriter()), new PrintWriter(err), "compile", alone.toString(), "--quiet");
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("weights side file"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }
}
