package fsc.backend.java;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link JavaBackend#compile} produced.
 *
 * @param jar the written jar
 * @param modelClass fully qualified name of the generated {@code CompiledModel}
 * @param classes every generated class file name in the jar, sorted
 * @param weightBytes size of {@code fsc/weights.bin}
 * @param sourceLines lines of generated Java source
 * @param emitMillis time spent generating source
 * @param javacMillis time spent in javac
 * @param packMillis time spent writing the jar
 */
public record JavaBackendResult(
        Path jar,
        String modelClass,
        List<String> classes,
        long weightBytes,
        int sourceLines,
        long emitMillis,
        long javacMillis,
        long packMillis) {
    public JavaBackendResult {
        classes = List.copyOf(classes);
    }

    /** One line for the CLI: what is in the jar and where the time went. */
    public String summary() {
        return String.format(
                "%s, %d generated classes (%,d lines of Java), %.1f MB of weights; emit %d ms, javac %d ms, pack %d ms",
                modelClass, classes.size(), sourceLines, weightBytes / 1e6, emitMillis, javacMillis, packMillis);
    }
}
