package fsc.cli.conformance;

/**
 * How one node test ended. Only {@link Pass} counts as passed; {@link Skipped} is reserved for tests
 * that cannot match by construction (they draw random numbers); everything else counts as failed.
 */
public sealed interface Outcome {
    /** The short word the report and the progress lines use. */
    String kind();

    /** One line of detail, empty for a pass. */
    String detail();

    /** Compiled, ran, and every output matched. */
    record Pass() implements Outcome {
        @Override
        public String kind() {
            return "pass";
        }

        @Override
        public String detail() {
            return "";
        }
    }

    /**
     * Compiled and ran, but an output differs (or the run threw).
     *
     * @param maxError the largest {@code |actual - expected|} over the compared elements, NaN when
     *     the failure is structural (count, dtype, shape) or the model threw
     */
    record Fail(String reason, double maxError) implements Outcome {
        @Override
        public String kind() {
            return "fail";
        }

        @Override
        public String detail() {
            return Double.isNaN(maxError) ? reason : reason + " (max error " + maxError + ")";
        }
    }

    /** fsc has no importer rule or no kernel for {@code op}; {@code reason} is the compiler's one line. */
    record Unsupported(String op, String reason) implements Outcome {
        @Override
        public String kind() {
            return "unsupported";
        }

        @Override
        public String detail() {
            return reason;
        }
    }

    /** Import, a pass, code generation or javac failed on a model whose ops are all supported. */
    record CompileError(String message) implements Outcome {
        @Override
        public String kind() {
            return "compile-error";
        }

        @Override
        public String detail() {
            return message;
        }
    }

    /** Not run: its expected outputs come from a random generator. */
    record Skipped(String reason) implements Outcome {
        @Override
        public String kind() {
            return "skipped";
        }

        @Override
        public String detail() {
            return reason;
        }
    }
}
