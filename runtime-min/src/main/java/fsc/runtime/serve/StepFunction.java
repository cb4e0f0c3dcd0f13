package fsc.runtime.serve;

/** What the engine thread runs: one flat batch over the paged cache, logits of the plan's logit rows back. */
public interface StepFunction {
    int vocab();

    /** Returns {@code plan.logitRows().length × vocab()} floats; {@code kv}'s block table is current. */
    float[] run(StepPlan plan, KvPool kv);
}
