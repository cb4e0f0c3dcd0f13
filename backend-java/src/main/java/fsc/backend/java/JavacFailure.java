package fsc.backend.java;

/**
 * Generated source did not compile: a backend bug, so an {@link IllegalStateException}. The message
 * carries javac's diagnostics and, for each, the numbered source lines around it.
 */
public final class JavacFailure extends IllegalStateException {
    public JavacFailure(String message) {
        super(message);
    }
}
