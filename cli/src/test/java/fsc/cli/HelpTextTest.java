package fsc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.passes.PassRegistry;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The help says what the tool does, no more and no less. */
class HelpTextTest {
    private static final Map<String, CommandLine> COMMANDS = new CommandLine(new Main()).getSubcommands();

    /** The command list in {@code fsc --help} shows each command's first line: it must be a whole sentence. */
    @Test
    void everyCommandsFirstLineIsACompleteSentence() {
        COMMANDS.forEach((name, cl) -> {
            String[] d = cl.getCommandSpec().usageMessage().description();
            assertTrue(d.length > 0, name);
            assertTrue(d[0].endsWith("."), name + ": first description line is cut: '" + d[0] + "'");
        });
    }

    @Test
    void compileSaysItTakesOnnxGgufAndFsir() {
        String help = COMMANDS.get("compile").getUsageMessage();
        assertTrue(help.contains("GGUF") && help.contains(".fsir") && help.contains("ONNX"), help);
        assertFalse(help.contains("Compile an ONNX model"), help);
    }

    /** --gemm cublas was always refused, so it is not offered. */
    @Test
    void noOptionOffersWhatIsRefused() {
        COMMANDS.forEach((name, cl) -> assertFalse(cl.getUsageMessage().contains("cublas"), name));
    }

    @Test
    void optPassesHelpListsEveryPass() {
        String help = COMMANDS.get("opt").getUsageMessage().replaceAll("\\s+", " ");
        for (String pass : PassRegistry.names()) {
            assertTrue(help.contains(pass), pass + " missing from: " + help);
        }
    }

    /** The tracked docs/CONFORMANCE.md is the full suite's report: a bare --report writes under out/. */
    @Test
    void conformanceReportGoesToOutByDefault() {
        ConformanceCommand c = new ConformanceCommand();
        new CommandLine(c).parseArgs("../shared/data/onnx/node", "--report");
        assertEquals(Path.of("out/conformance.md"), c.report);
    }
}
