package fsc.tests.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.Main;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's "when quantization buys nothing": {@code fsc compile --quantize} on the MNIST CNN times
 * every variant with the jar's kernels and writes one table row per variant (fp32, int8, int4, and
 * auto's choice with {@code --quantize auto}) into the report, the table's line into the manifest
 * ({@code Fsc-Quant-Speed}); {@code --no-quant-speed} leaves both out. No timing is compared with a
 * threshold: the numbers only have to be there, positive and finite.
 */
class MnistQuantSpeedReportTest {
    @TempDir
    static Path work;

    private static Path compile(String name, String... options) {
        Path jar = work.resolve(name + ".jar");
        List<String> args = new ArrayList<>(
                List.of("compile", CorpusModels.shared("mnist.onnx").toString(), "-o", jar.toString(), "--quiet"));
        args.addAll(List.of(options));
        assertEquals(0, Main.execute(args.toArray(String[]::new)), "fsc " + args);
        return jar;
    }

    private static String manifest(Path jar, String attribute) throws Exception {
        try (JarFile jf = new JarFile(jar.toFile())) {
            return jf.getManifest().getMainAttributes().getValue(attribute);
        }
    }

    /** The speed table's rows: the cells of each line after its header and separator, up to the blank line. */
    private static List<String[]> speedRows(String report) {
        int at = report.indexOf("| variant |");
        assertTrue(at > 0, "a speed table in:\n" + report);
        List<String[]> rows = new ArrayList<>();
        List<String> lines = report.substring(at).lines().toList();
        for (String line : lines.subList(2, lines.size())) {
            if (!line.startsWith("|")) {
                break;
            }
            String[] cells = line.substring(1, line.length() - 1).split("\\|");
            for (int i = 0; i < cells.length; i++) {
                cells[i] = cells[i].strip();
            }
            rows.add(cells);
        }
        return rows;
    }

    @Test
    void autoTimesFp32Int8Int4AndItsChoiceAndTheManifestCarriesTheLine() throws Exception {
        Path jar = compile("auto", "--quantize", "auto");
        String report = Files.readString(work.resolve("auto-quant/report.md"));
        List<String[]> rows = speedRows(report);
        assertEquals(
                List.of("fp32", "int8", "int4", "auto"),
                rows.stream().map(r -> r[0]).toList(),
                report);
        for (String[] r : rows) {
            double median = Double.parseDouble(r[3]);
            String[] spread = r[4].split("–");
            double min = Double.parseDouble(spread[0]);
            double p90 = Double.parseDouble(spread[1]);
            assertTrue(median > 0 && Double.isFinite(median), r[0] + " median " + median);
            assertTrue(min > 0 && min <= median && median <= p90, r[0] + ": min, median, p90 " + String.join(" ", r));
            double lowestCosine = Double.parseDouble(r[6]);
            assertTrue(lowestCosine > 0.9 && lowestCosine <= 1.000001, r[0] + " cosine " + lowestCosine);
            assertTrue(r[8].matches("\\d+ runs(, unsettled)?"), r[8]);
        }
        assertEquals("1", rows.get(0)[5], "fp32 against itself");
        for (String[] r : rows.subList(1, rows.size())) {
            assertTrue(r[5].matches("×\\d+\\.\\d\\d \\(\\d+\\.\\d\\d–\\d+\\.\\d\\d\\)"), r[5]);
            // Each quantized variant gets a sentence: faster in every round, or "does not pay here".
            assertTrue(
                    report.contains("- " + r[0] + " is ×") || report.contains("- **" + r[0] + " does not pay here**"),
                    r[0] + "'s verdict in:\n" + report);
        }
        assertTrue(report.contains("with 1 thread"), report);
        String line = manifest(jar, "Fsc-Quant-Speed");
        assertTrue(line != null && line.startsWith("1 thread, Input3 1×1×28×28: fp32 "), line);
        assertTrue(line.contains("; int8 ") && line.contains("; int4 ") && line.contains("; auto "), line);
        assertTrue(manifest(jar, "Fsc-Quantization").startsWith("quantize auto: "));
        try (JarFile jf = new JarFile(jar.toFile())) {
            String inJar = new String(
                    jf.getInputStream(jf.getEntry("fsc/quant-report.md")).readAllBytes());
            assertTrue(inJar.contains("## Speed"), "the report in the jar has the speed table");
        }
    }

    @Test
    void int8WithTwoThreadsSaysSoAndHasNoAutoRow() throws Exception {
        Path jar = compile("int8-t2", "--quantize", "int8", "--quant-threads", "2");
        String report = Files.readString(work.resolve("int8-t2-quant/report.md"));
        assertEquals(
                List.of("fp32", "int8", "int4"),
                speedRows(report).stream().map(r -> r[0]).toList(),
                "auto is timed only when it chose: " + report);
        assertTrue(report.contains("with 2 threads"), report);
        assertTrue(manifest(jar, "Fsc-Quant-Speed").startsWith("2 threads, "));
    }

    @Test
    void noQuantSpeedLeavesTheTableAndTheManifestLineOut() throws Exception {
        Path jar = compile("untimed", "--quantize", "int8", "--no-quant-speed");
        String report = Files.readString(work.resolve("untimed-quant/report.md"));
        assertTrue(report.contains("Speed: not measured (`--no-quant-speed`)."), report);
        assertTrue(!report.contains("| variant |"), report);
        assertNull(manifest(jar, "Fsc-Quant-Speed"));
        assertTrue(manifest(jar, "Fsc-Quantization").startsWith("quantize int8: 3 int8"));
    }
}
