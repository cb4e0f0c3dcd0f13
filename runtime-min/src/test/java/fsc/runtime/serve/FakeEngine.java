package fsc.runtime.serve;

/**
 * A step function that behaves like a decoder over the paged cache without any model: each row
 * writes its token into the block its slot's table names, and a logit row's next token is a hash
 * of every token read back through the table for positions 0..p. A wrong table (bad prefix share,
 * a block reused while held, lost positions after preemption) changes the tokens, so tests compare
 * against a request run alone.
 */
final class FakeEngine {
    static final int VOCAB = 64;
    static final int EOS = 0;

    private final KvPool kv;
    private final int[] store;

    FakeEngine(KvPool kv) {
        this.kv = kv;
        this.store = new int[kv.numBlocks() * kv.blockSize()];
        java.util.Arrays.fill(store, -1);
    }

    float[] step(StepPlan plan) {
        int bs = kv.blockSize();
        for (int r = 0; r < plan.size(); r++) {
            int[] row = kv.row(plan.slots()[r]);
            int p = plan.positions()[r];
            store[row[p / bs] * bs + p % bs] = plan.tokens()[r];
        }
        float[] logits = new float[plan.logitRows().length * VOCAB];
        for (int i = 0; i < plan.logitRows().length; i++) {
            int r = plan.logitRows()[i];
            int[] row = kv.row(plan.slots()[r]);
            long h = 17;
            for (int p = 0; p <= plan.positions()[r]; p++) {
                int t = store[row[p / bs] * bs + p % bs];
                if (t < 0) {
                    throw new IllegalStateException("position " + p + " was never written");
                }
                h = h * 1_000_003 + t;
            }
            // Never EOS, so lengths are exactly max_tokens unless a test asks otherwise.
            int next = 1 + (int) Math.floorMod(h, VOCAB - 1);
            logits[i * VOCAB + next] = 1f;
        }
        return logits;
    }
}
