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
}
