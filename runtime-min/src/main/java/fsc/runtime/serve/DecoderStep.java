package fsc.runtime.serve;

import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The compiled decoder as a {@link StepFunction}. The {@link KvCache} is used only as the cache
 * memory and block-table tensor the graph reads; block ownership (reference counts, prefix
 * sharing) is the {@link KvPool}'s, copied into the table tensor before each step.
 */
public final class DecoderStep implements StepFunction {
    private final Decoder decoder;
    private final KvCache storage;
    private final int[] table;
    private static final int[] NO_ROWS = {0};
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public DecoderStep(Decoder decoder) {
        this.decoder = decoder;
        this.storage = decoder.cache();
        this.table = new int[(int) storage.blockTable().data().byteSize() / 4];
    }

    @Override
    public int vocab() {
        return decoder.config().vocab();
    }

    public Decoder decoder() {
        return decoder;
    }

    @Override
    public float[] run(StepPlan plan, KvPool kv) {
        return run(plan.tokens(), plan.positions(), plan.slots(), plan.logitRows(), kv);
    }

    /**
     * One step over rows given directly (a speculative step's draft passes and verification): the
     * pool's block table is copied in first, so the rows read and write the blocks the pool assigned.
     */
    public float[] run(int[] tokens, int[] positions, int[] slots, int[] logitRows, KvPool kv) {
        if (kv.slots() * kv.width() != table.length) {
            throw new IllegalStateException("KV pool table " + kv.slots() + "x" + kv.width() + " does not match the "
                    + "decoder's " + table.length + " entries");
        }
        kv.copyTable(table);
        MemorySegment.copy(table, 0, storage.blockTable().data(), I32, 0, table.length);
        boolean none = logitRows.length == 0;
        // A step of prefill chunks only still needs one logit row; its logits are dropped.
        float[] logits = decoder.step(tokens, positions, slots, none ? NO_ROWS : logitRows);
        return none ? new float[0] : logits;
    }
}
