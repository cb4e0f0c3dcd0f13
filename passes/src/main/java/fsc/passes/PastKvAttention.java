package fsc.passes;

import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.List;

/**
 * One layer's attention over a past KV cache in an exported decoder step, as {@code kv-paging}
 * finds it: the keys and values are {@code concat(past, new)} along the position axis and feed an
 * explicit {@code matmul → scale → causal mask → softmax → matmul} over one new token:
 *
 * <pre>
 *   kAll = concat(kPast, kNew)      [B,H,D,P+1] (keys transposed) or [B,H,P+1,D]
 *   vAll = concat(vPast, vNew)      [B,H,P+1,D]
 *   out  = matmul(softmax(mask(matmul(q, kAll) / sqrt(D))), vAll)      q, out: [B,H,1,D]
 * </pre>
 *
 * @param q the query, {@code [B,H,1,D]}
 * @param kNew the new token's key: {@code [B,H,D,1]} when {@code keysTransposed}, else {@code [B,H,1,D]}
 * @param vNew the new token's value, {@code [B,H,1,D]}
 * @param output the last matmul: its output is the attention, {@code [B,H,1,D]}
 * @param pastInputs the graph inputs the past keys and values are read from
 * @param kvHeads the heads of the keys and values: {@code heads} or, for grouped heads repeated
 *     before the matmuls ({@code repeat_kv}), a divisor of it; {@code kNew} and {@code vNew} have these
 */
record PastKvAttention(
        Value q,
        Value kNew,
        boolean keysTransposed,
        Value vNew,
        Node output,
        List<Value> pastInputs,
        Dim batch,
        Dim pastLength,
        long heads,
        long kvHeads,
        long headDim) {

    /** The transpose that takes {@code kNew} to {@code [B,1,H,D]}, token-major like {@code q} and {@code vNew} after theirs. */
    List<Long> kNewToTokenMajor() {
        return keysTransposed ? List.of(0L, 3L, 1L, 2L) : List.of(0L, 2L, 1L, 3L);
    }
}
