package fsc.runtime;

/**
 * A run-time error a user can act on (bad input file, wrong shape, missing weights). Its message is
 * one line; the artifact's main prints it and exits with code 2.
 */
public class RuntimeFailure extends RuntimeException {
    public RuntimeFailure(String message) {
        super(message);
    }

    public RuntimeFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
