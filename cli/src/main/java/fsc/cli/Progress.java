package fsc.cli;

import fsc.compiler.CompileProgress;
import java.io.PrintStream;

/** Progress lines on stderr for long work: {@code [  1.2s] importing model.onnx ...}. Quiet mode prints nothing. */
public final class Progress implements CompileProgress {
    private final PrintStream out;
    private final boolean quiet;
    private final long start = System.nanoTime();

    public Progress(PrintStream out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
    }

    @Override
    public void step(String message) {
        if (!quiet) {
            out.printf("[%6.1fs] %s%n", (System.nanoTime() - start) / 1e9, message);
            out.flush();
        }
    }

    /** Printed in quiet mode too: the user asked for it. */
    @Override
    public void report(String text) {
        out.print(text);
        out.flush();
    }
}
