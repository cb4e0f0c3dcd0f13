package fsc.passes;

/**
 * A message a pass reports without failing: what it changed ({@link Severity#NOTE}), or what it could
 * not do and why ({@link Severity#WARNING}). {@code pass} is the pass's name.
 */
public record Diagnostic(Severity severity, String pass, String message) {
    public enum Severity {
        NOTE,
        WARNING
    }

    @Override
    public String toString() {
        return severity.name().toLowerCase(java.util.Locale.ROOT) + ": [" + pass + "] " + message;
    }
}
