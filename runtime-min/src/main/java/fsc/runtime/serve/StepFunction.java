package fsc.runtime.serve;

/** What the engine thread runs: one flat batch over the paged cache, logits of the plan's logit rows back. */
public interface StepFunction {
    int vocab();

    /** Returns {@code plan.logitRows().length × vocab()} floats; {@code kv}'s block table is current. */
    float[] run(StepPlan plan, KvPool kv);

    /**
     * Runs {@code plan}; a speculative step may also verify draft tokens in the positions the plan
     * reserved ({@link StepPlan.Chunk#draftRoom}). The default speculates nothing.
     */
    default StepResult runStep(StepPlan plan, KvPool kv) {
        return StepResult.plain(run(plan, kv));
    }
}
