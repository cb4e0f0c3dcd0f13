package fsc.tests.serve;

import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.compiler.CompileDriver;
import fsc.compiler.CompileProgress;
import fsc.compiler.CompileSettings;
import fsc.frontend.gguf.arch.DecoderOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the serving tests find stories260K, and its serving jar compiled once per test JVM. */
final class ServeSoakTestData {
    private static Path jar;

    private ServeSoakTestData() {}

    /** The shared data folder the build passes in ({@code fsc.shared.data}), else relative to the module. */
    static Path gguf() {
        String root = System.getProperty("fsc.shared.data");
        Path base = root != null ? Path.of(root) : Path.of(System.getProperty("user.dir"), "../../shared/data");
        return base.resolve("gguf/stories260K.gguf").toAbsolutePath().normalize();
    }

    /** stories260K compiled for serving: 256 positions, 8 sequences, 128-token steps, 16-position blocks. */
    static synchronized Path storiesJar() throws IOException {
        if (jar == null) {
            Path gguf = gguf();
            assertTrue(Files.isRegularFile(gguf), "test data missing: " + gguf);
            Path out = Files.createTempDirectory("fsc-serve").resolve("stories.jar");
            CompileDriver.compile(
                    CompileSettings.builder(gguf, out)
                            .decoder(new DecoderOptions(256, 128, 8, 16))
                            .build(),
                    CompileProgress.SILENT);
            jar = out;
        }
        return jar;
    }
}
