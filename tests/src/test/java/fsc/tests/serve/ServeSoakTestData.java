package fsc.tests.serve;

import java.nio.file.Path;

/** Where the serving tests find stories260K. */
final class ServeSoakTestData {
    private ServeSoakTestData() {}

    /** The shared data folder the build passes in ({@code fsc.shared.data}), else relative to the module. */
    static Path gguf() {
        String root = System.getProperty("fsc.shared.data");
        Path base = root != null ? Path.of(root) : Path.of(System.getProperty("user.dir"), "../../shared/data");
        return base.resolve("gguf/stories260K.gguf").toAbsolutePath().normalize();
    }
}
