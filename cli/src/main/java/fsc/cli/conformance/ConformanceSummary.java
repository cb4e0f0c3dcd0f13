package fsc.cli.conformance;

import java.util.List;

/** Every result of a run, in test-name order, and the counts its last line reports. */
public record ConformanceSummary(List<TestResult> results) {
    public ConformanceSummary {
        results = List.copyOf(results);
    }

    public long passed() {
        return count(Outcome.Pass.class);
    }

    public long skipped() {
        return count(Outcome.Skipped.class);
    }

    /** Failures, unsupported ops and compile errors: everything not passed or skipped. */
    public long failed() {
        return results.size() - passed() - skipped();
    }

    public long count(Class<? extends Outcome> kind) {
        return results.stream().filter(r -> kind.isInstance(r.outcome())).count();
    }

    /** The line tools read: {@code conformance: N passed, M failed, K skipped}. */
    public String lastLine() {
        return "conformance: " + passed() + " passed, " + failed() + " failed, " + skipped() + " skipped";
    }
}
