package fsc.passes;

import fsc.ir.Graph;

/**
 * Called by {@link PassManager} after each pass has run and verified, e.g. by {@code --check-passes}
 * to run the reference interpreter on {@code before} and {@code after} and compare. Throwing stops
 * the pipeline with that exception.
 */
@FunctionalInterface
public interface PassListener {
    void afterPass(PassRun run, Graph before, Graph after);
}
