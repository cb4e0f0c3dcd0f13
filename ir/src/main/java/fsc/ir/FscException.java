package fsc.ir;

/**
 * A user-facing error: a bad model, an unsupported op, wrong shapes. The message is one readable
 * line that names the location (file, node, op, byte offset); the CLI prints it and exits with 2.
 * Broken compiler invariants are {@link IllegalStateException}s instead.
 */
public class FscException extends RuntimeException {
    private final String hint;

    public FscException(String message) {
        this(message, null, null);
    }

    public FscException(String message, String hint) {
        this(message, hint, null);
    }

    public FscException(String message, String hint, Throwable cause) {
        super(message, cause);
        this.hint = hint;
    }

    /** A suggestion for the user, or null. */
    public String hint() {
        return hint;
    }

    /** The message and, when there is one, the hint, on one line. */
    public String oneLine() {
        String m = getMessage().replace('\n', ' ');
        return hint == null ? m : m + " (hint: " + hint + ")";
    }
}
