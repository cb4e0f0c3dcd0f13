package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.runtime.io.Npy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar runs alone: {@code java --add-modules jdk.incubator.vector -jar model.jar --input ...} in a child JVM. */
class ArtifactProcessTest {
    @TempDir
    Path dir;

    @Test
    void jarRunsInAChildJvm() throws Exception {
        Graph g = SymbolicDimsTest.attention();
        Path jar = dir.resolve("tiny.jar");
        JavaBackend.compile(g, JavaBackendOptions.forModel("tiny"), jar);
        Map<String, HostTensor> in = TestGraphs.randomInputs(g, Map.of("B", 2L, "S", 5L), 21);
        Npy.write(dir.resolve("x.npy"), ModelHarness.toTensor(in.get("x")));
        Npy.write(dir.resolve("mask.npy"), ModelHarness.toTensor(in.get("mask")));
        Path out = dir.resolve("out");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(
                        java,
                        "--add-modules",
                        "jdk.incubator.vector",
                        "-jar",
                        jar.toString(),
                        "--input",
                        "x=" + dir.resolve("x.npy"),
                        "--input",
                        "mask=" + dir.resolve("mask.npy"),
                        "--output-dir",
                        out.toString())
                .redirectErrorStream(true)
                .start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), log);
        List<Path> files;
        try (Stream<Path> s = Files.list(out)) {
            files = s.filter(f -> f.toString().endsWith(".npy")).toList();
        }
        assertEquals(1, files.size(), files.toString());
        assertTrue(files.getFirst().getFileName().toString().startsWith("pool"), files.toString());
        HostTensor actual = ModelHarness.toHost(Npy.read(files.getFirst()));
        HostTensor expected = new Interpreter(g).run(in).get("pool");
        assertEquals(DType.F32, actual.dtype());
        assertTrue(expected.maxAbsDiff(actual) < 1e-5, () -> expected + " vs " + actual);
    }
}
