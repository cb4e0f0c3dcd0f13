package fsc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import fsc.backend.java.JavaBackend;
import fsc.passes.Pass;
import fsc.passes.Pipelines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every {@code out/ir/NN-pass.fsir} the README names is a file {@code --dump-ir} writes: pass NN of
 * the default CPU pipeline, or {@code 00-import} (issue 16: the README resumed from
 * {@code 03-cse.fsir}, which is never written).
 */
class ReadmeDumpNamesTest {
    private static final Pattern DUMP = Pattern.compile("out/ir/(\\d\\d)-([a-z0-9-]+)\\.fsir");

    @Test
    void readmeNamesDumpsThePipelineWrites() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        List<String> passes = Pipelines.cpuDefault(JavaBackend::hasKernel).stream()
                .map(Pass::name)
                .toList();
        List<String> named = new ArrayList<>();
        Matcher m = DUMP.matcher(readme);
        while (m.find()) {
            int index = Integer.parseInt(m.group(1));
            String expected = index == 0 ? "import" : passes.get(index - 1);
            assertEquals(
                    expected,
                    m.group(2),
                    "README names " + m.group() + "; --dump-ir writes " + m.group(1) + "-" + expected + ".fsir");
            named.add(m.group());
        }
        assertFalse(named.isEmpty(), "the README shows resuming from a dump");
    }
}
