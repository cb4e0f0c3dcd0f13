package fsc.runtime;

/** A class with no dependencies, copied into jars built by WeightsFileTest to anchor the lookup. */
public final class WeightsAnchorFixture {
    private WeightsAnchorFixture() {}
}
