/**
 * Graph-to-graph passes and the machinery that runs them.
 *
 * <p>A pass is a stateless class implementing {@link fsc.passes.Pass}, annotated with {@link
 * fsc.passes.PassInfo} (its command-line name and one-line summary) and listed in {@link
 * fsc.passes.PassRegistry}. {@link fsc.passes.PassManager} runs a pipeline (for example {@link
 * fsc.passes.Pipelines#cpuDefault()}), verifies the graph after every pass, times each one and
 * optionally dumps {@code NN-name.fsir} files; {@link fsc.passes.InterpreterCheck} plugs into it to
 * compare every pass's result with the input graph in the reference interpreter.
 *
 * <p>Adding a pass: write the class with a Javadoc that sketches the IR before and after, add it to
 * the registry (sorted), give it a reason line where it stands in a pipeline, and add golden files
 * under {@code src/test/resources/<pass-name>/} with an interpreter equivalence check.
 */
package fsc.passes;
