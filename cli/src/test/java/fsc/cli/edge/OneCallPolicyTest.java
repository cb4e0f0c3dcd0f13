package fsc.cli.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.RuntimeFailure;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which packaged models run one-call commands on C1 only, and the launcher that follows from it. */
class OneCallPolicyTest {
    @TempDir
    Path dir;

    private Path jarWithOps(String name, String... ops) throws IOException {
        StringBuilder json = new StringBuilder("{\"slots\": [");
        for (int i = 0; i < ops.length; i++) {
            json.append(i > 0 ? ", " : "")
                    .append("{\"slot\": ")
                    .append(i)
                    .append(", \"node\": ")
                    .append(i)
                    .append(", \"op\": \"")
                    .append(ops[i])
                    .append("\", \"name\": \"n")
                    .append(i)
                    .append("\", \"output\": \"y")
                    .append(i)
                    .append("\", \"bytes\": []}");
        }
        json.append("]}");
        Path jar = dir.resolve(name + ".jar");
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream j = new JarOutputStream(out)) {
            if (ops.length > 0) {
                j.putNextEntry(new ZipEntry("fsc/nodes.json"));
                j.write(json.toString().getBytes(StandardCharsets.UTF_8));
                j.closeEntry();
            } else {
                j.putNextEntry(new ZipEntry("fsc/model.json"));
                j.closeEntry();
            }
        }
        return jar;
    }

    @Test
    void anEncoderWhoseKernelsAllHaveColdPathsTakesTheOptions() throws IOException {
        Path minilm = jarWithOps(
                "minilm", "gather", "layer_norm", "matmul+add", "attention", "matmul+add+gelu", "add", "tanh");
        assertEquals(Set.of(), OneCallPolicy.uncovered(minilm));
    }

    @Test
    void convolutionsAndDecodersKeepTheDefaultTiers() throws IOException {
        Path cnn = jarWithOps("det", "conv", "conv+relu", "add", "expand");
        assertEquals(Set.of("conv", "conv+relu", "expand"), OneCallPolicy.uncovered(cnn));
        Path decoder = jarWithOps("llm", "embedding", "rms_norm", "qmatmul", "paged_attention");
        assertFalse(OneCallPolicy.uncovered(decoder).isEmpty());
    }

    @Test
    void aJarWithoutANodeTableIsRefusedInOneLine() throws IOException {
        Path old = jarWithOps("old");
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> OneCallPolicy.uncovered(old));
        assertTrue(e.getMessage().contains("no fsc/nodes.json"), e.getMessage());
    }

    @Test
    void theLauncherAddsTheOptionsForEveryCommandButGenerate() {
        String oneCall = Launcher.script("m", true, true);
        assertTrue(oneCall.contains("generate) once= ;;"), oneCall);
        assertTrue(oneCall.contains("*) once=\"" + String.join(" ", Launcher.ONE_CALL_OPTIONS) + "\" ;;"), oneCall);
        assertTrue(oneCall.contains("-XX:AOTCache=\"$dir/lib/m.aot\" $once ${FSC_JAVA_OPTS:-}"), oneCall);
        String tiers = Launcher.script("m", false, false);
        assertFalse(
                tiers.contains("TieredStopAtLevel") || tiers.contains("$once") || tiers.contains("AOTCache"), tiers);
        assertTrue(tiers.contains("-Xlog:all=warning:stderr ${FSC_JAVA_OPTS:-}"), tiers);
    }
}
