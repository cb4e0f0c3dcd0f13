package fsc.cli.edge;

import java.util.List;

/**
 * The {@code bin/MODEL} script of a packaged folder and the JVM options it shares with the AOT
 * training run. A JDK AOT cache is used only by a JVM started with the options it was trained with
 * (JEP 483), so both take them from {@link #JVM_OPTIONS} and nowhere else.
 */
public final class Launcher {
    /**
     * The Vector API and native access for the weights mapping; the serial collector, which starts
     * no GC threads and suits a small device; JVM warnings (an unusable AOT cache, say) on stderr so
     * stdout carries only the model's output.
     */
    public static final List<String> JVM_OPTIONS = List.of(
            "--add-modules",
            RuntimeImage.VECTOR_MODULE,
            "--enable-native-access=ALL-UNNAMED",
            "-XX:+UseSerialGC",
            "-Xlog:disable",
            "-Xlog:all=warning:stderr");

    /**
     * Added for a run that makes one model call and exits (every command but {@code generate}):
     * C1 only, and {@code VectorWarmth}'s twins for the whole call. The Vector API's code is fast
     * only once C2 has compiled it, which a one-call process never waits for: C2's compiles of the
     * generated code and twins finish after the call and meanwhile take a CPU from it. MiniLM 1×16
     * fork to exit went from ~210 to ~150 ms with these; 1×128 and 8×128 and the OCR classifier
     * were faster too, the OCR detector the same. {@code FSC_JAVA_OPTS} comes after them, so
     * {@code -XX:TieredStopAtLevel=4 -Dfsc.coldStart=} there restores the defaults.
     */
    public static final List<String> ONE_CALL_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-Dfsc.coldStart=always");

    private Launcher() {}

    /**
     * A POSIX {@code sh} script that runs {@code lib/NAME.jar} on the folder's own runtime, with the
     * AOT cache when it is there, and {@link #ONE_CALL_OPTIONS} for every command but {@code
     * generate} when {@code oneCall} ({@link OneCallPolicy}). It reads no {@code JAVA_HOME} and no
     * {@code PATH} java; extra JVM options come from {@code FSC_JAVA_OPTS}.
     */
    public static String script(String name, boolean aotCache, boolean oneCall) {
        String options = String.join(" ", JVM_OPTIONS);
        if (!oneCall) {
            return SCRIPT_HEAD.formatted(name) + RUN.formatted(name, options, aotOption(name, aotCache), "");
        }
        return SCRIPT_HEAD.formatted(name)
                + ONE_CALL_CASE.formatted(String.join(" ", ONE_CALL_OPTIONS))
                + RUN.formatted(name, options, aotOption(name, aotCache), " $once");
    }

    private static String aotOption(String name, boolean aotCache) {
        return aotCache ? " -XX:AOTCache=\"$dir/lib/" + name + ".aot\"" : "";
    }

    private static final String SCRIPT_HEAD =
            """
            #!/bin/sh
            # Runs the model %1$s on the Java runtime packaged next to it (written by fsc package).
            # Usage: %1$s --input NAME=FILE ... [--output-dir DIR] [--threads N] [--help]
            dir=$(cd -P "$(dirname "$0")/.." && pwd) || exit 2
            """;

    private static final String ONE_CALL_CASE =
            """
            # One call per process (all but generate): C1 only, every kernel on its scalar twin. C2's
            # compiles would finish after the call and take a CPU from it (docs/EDGE.md, section 2).
            case "${1:-}" in
              generate) once= ;;
              *) once="%1$s" ;;
            esac
            """;

    /** The run: name, JVM options, the AOT cache option, the one-call options' variable (or nothing). */
    private static final String RUN =
            """
            # The JVM prints "WARNING: Using incubator modules" whenever the Vector API is loaded and no
            # flag turns it off: drop that line from stderr, keep stdout as it is and the JVM's exit status.
            exec 3>&1
            status=$( { { "$dir/runtime/bin/java" %2$s%3$s%4$s ${FSC_JAVA_OPTS:-} \\
                -jar "$dir/lib/%1$s.jar" "$@" 2>&1 1>&3 3>&- 4>&-; echo $? >&4; } \\
                | grep -v '^WARNING: Using incubator modules' >&2 3>&- 4>&-; } 4>&1 )
            exit "$status"
            """;
}
