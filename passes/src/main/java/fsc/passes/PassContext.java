package fsc.passes;

import fsc.ir.FscException;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What a pass may read besides its graph: options ({@code fold.max-elements=1048576}, set by the CLI
 * or a test) and a sink for diagnostics. Passed explicitly to every pass; there are no globals.
 * {@link PassManager} hands each pass a copy tagged with that pass's name, so diagnostics say where
 * they came from.
 *
 * @param pass the name of the running pass, or empty outside a pipeline
 */
public record PassContext(SortedMap<String, String> options, Consumer<Diagnostic> sink, String pass) {

    public PassContext {
        options = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(options));
    }

    /** A context without options whose diagnostics go nowhere: for tests and library use. */
    public static PassContext defaults() {
        return new PassContext(new TreeMap<>(), d -> {}, "");
    }

    public static PassContext of(Map<String, String> options, Consumer<Diagnostic> sink) {
        return new PassContext(new TreeMap<>(options), sink, "");
    }

    /** The same options and sink, reporting as {@code passName}. */
    public PassContext forPass(String passName) {
        return new PassContext(options, sink, passName);
    }

    /** A numeric option, or {@code dflt} when absent; a malformed value is a user error naming the option. */
    public long longOption(String key, long dflt) {
        String v = options.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new FscException("pass option " + key + "=" + v + " is not an integer");
        }
    }

    /** A text option, or {@code dflt} when absent. */
    public String option(String key, String dflt) {
        return options.getOrDefault(key, dflt);
    }

    public void note(String message) {
        sink.accept(new Diagnostic(Diagnostic.Severity.NOTE, pass, message));
    }

    public void warn(String message) {
        sink.accept(new Diagnostic(Diagnostic.Severity.WARNING, pass, message));
    }
}
