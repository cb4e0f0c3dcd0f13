package fsc.cli.conformance;

/**
 * One test's result.
 *
 * @param op the op the test is about: the primary op from {@code tests.tsv} when the folder has
 *     one, else the model's most used op
 * @param tier the tier letter from {@code tests.tsv} ({@code a}..{@code e}), or {@code ?}
 * @param millis wall time spent on this test outside batched javac
 */
public record TestResult(String name, String op, String tier, Outcome outcome, long millis) {
    public boolean passed() {
        return outcome instanceof Outcome.Pass;
    }

    /** {@code name: kind detail}, the progress line. */
    public String line() {
        String d = outcome.detail();
        return name + ": " + outcome.kind() + (d.isEmpty() ? "" : " " + d);
    }
}
