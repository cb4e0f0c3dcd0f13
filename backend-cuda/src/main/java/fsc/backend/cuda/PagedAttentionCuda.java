package fsc.backend.cuda;

import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;
import java.util.List;

/**
 * {@code paged_attention} over the runtime's KV blocks ({@code fsc.runtime.llm.PagedLayout}: a block
 * is {@code [layer][k|v][slot][kv_heads*head_dim]} floats), as two kernels because every token's
 * k/v must be stored before any token of the step attends (a prefill chunk's tokens see each other):
 *
 * <ol>
 *   <li>{@code _kv}: one thread per (token, k/v feature) writes k and v into the token's slot;
 *   <li>attend: one block per (token, query head). Scores for positions {@code 0..pos} of the
 *       token's own sequence go to dynamic shared memory (sized for the block table's full width),
 *       one warp per key row; a block softmax; then each thread sums {@code p_j * v_j} for its
 *       output features.
 * </ol>
 *
 * A position whose block-table entry is out of range contributes nothing (the Java kernel raises an
 * error there; a kernel cannot, and the runtime's block tables never hold such entries).
 */
final class PagedAttentionCuda {
    private PagedAttentionCuda() {}

    static final int THREADS = 128;

    static List<Kernel> emit(KernelScope s) {
        Node n = s.node();
        long layers = n.intAttr("num_layers");
        long bs = n.intAttr("block_size");
        long heads = n.intAttr("num_heads");
        long kvHeads = n.intAttr("num_kv_heads");
        long hd = n.intAttr("head_dim");
        long layer = n.intAttr("layer");
        long kvd = kvHeads * hd;
        TensorType q = s.inType(0);
        TensorType table = s.inType(4);
        Dim tokens = q.dim(0);
        String common =
                """
                  const i64 NS = %s, MB = %s, NB = %s;
                  const int* table = %s;
                  const int* seqs = %s;
                  const int* positions = %s;
                  float* cache = %s;
                """
                        .formatted(
                                CExpr.dim(table.dim(0)),
                                CExpr.dim(table.dim(1)),
                                CExpr.dim(s.inType(3).dim(0)),
                                s.in(4),
                                s.in(5),
                                s.in(6),
                                s.layout().pointer(n.input(3), "float", true));
        // Float offset of the key row of (seq, position) in this layer, or -1 when the table has no block.
        String keyRow =
                """
                __device__ __forceinline__ i64 %s_key(const int* table, i64 NS, i64 MB, i64 NB, i64 seq, i64 pos) {
                  if (seq < 0 || seq >= NS || pos < 0 || pos / %dLL >= MB) return -1;
                  const i64 blk = table[seq * MB + pos / %dLL];
                  if (blk < 0 || blk >= NB) return -1;
                  return blk * %dLL + (%dLL + pos %% %dLL) * %dLL;
                }
                """
                        .formatted(s.name(), bs, bs, layers * 2 * bs * kvd, layer * 2 * bs, bs, kvd);
        String store =
                """
                  // store every token's k and v (layer %d) in its sequence's slot
                %s  const float* k = %s;
                  const float* v = %s;
                %s    const i64 t = i / %dLL, c = i %% %dLL;
                    const i64 row = %s_key(table, NS, MB, NB, seqs[t], positions[t]);
                    if (row < 0) continue;
                    cache[row + c] = k[i];
                    cache[row + %dLL + c] = v[i];
                  }
                """
                        .formatted(
                                layer,
                                common,
                                s.in(1),
                                s.in(2),
                                s.gridStride(tokens.times(Dim.of(kvd))),
                                kvd,
                                kvd,
                                s.name(),
                                bs * kvd);
        KernelScope kvScope = s.renamed(s.name() + "_kv");
        Kernel kv = kvScope.kernel(store, Launch.linear(tokens.times(Dim.of(kvd)), 256));
        String tid = s.lang().threadIdx() + ".x";
        String bdim = s.lang().blockDim() + ".x";
        String attend =
                """
                  // token t, query head h (kv head h / %d); scores for positions 0..pos in shared memory
                %s  extern %s float smem[];
                  %s float red[32];
                  float* qs = smem;
                  float* scores = smem + %d;
                  const i64 t = %s.x / %dLL, h = %s.x %% %dLL, kvh = h / %dLL;
                  const i64 seq = seqs[t], pos = min((i64)positions[t], MB * %dLL - 1);
                  const float* qrow = %s + (t * %dLL + h) * %dLL;
                  float* out = %s + (t * %dLL + h) * %dLL;
                  for (int d = %s; d < %d; d += %s) qs[d] = qrow[d] * %s;
                  %s;
                  const int lane = %s %% 32, warp = %s / 32, warps = %s / 32;
                  for (i64 j = warp; j <= pos; j += warps) {
                    const i64 row = %s_key(table, NS, MB, NB, seq, j);
                    float acc = 0.0f;
                    if (row >= 0) for (int d = lane; d < %d; d += 32) acc += qs[d] * cache[row + kvh * %dLL + d];
                    acc = fsc_warp_sum(acc);
                    if (lane == 0) scores[j] = row >= 0 ? acc : -INFINITY;
                  }
                  %s;
                  float m = -INFINITY;
                  for (i64 j = %s; j <= pos; j += %s) m = fmaxf(m, scores[j]);
                  m = fsc_block_max(m, red);
                  float sum = 0.0f;
                  for (i64 j = %s; j <= pos; j += %s) { const float e = scores[j] == -INFINITY ? 0.0f : __expf(scores[j] - m); scores[j] = e; sum += e; }
                  sum = fsc_block_sum(sum, red);
                  const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
                  for (int d = %s; d < %d; d += %s) {
                    float o = 0.0f;
                    for (i64 j = 0; j <= pos; j++) {
                      const i64 row = %s_key(table, NS, MB, NB, seq, j);
                      if (row >= 0) o += scores[j] * cache[row + %dLL + kvh * %dLL + d];
                    }
                    out[d] = o * inv;
                  }
                """
                        .formatted(
                                heads / kvHeads,
                                common,
                                s.lang().sharedKeyword(),
                                s.lang().sharedKeyword(),
                                hd,
                                s.lang().blockIdx(),
                                heads,
                                s.lang().blockIdx(),
                                heads,
                                heads / kvHeads,
                                bs,
                                s.in(0),
                                heads,
                                hd,
                                s.out(0),
                                heads,
                                hd,
                                tid,
                                hd,
                                bdim,
                                ScalarOps.floatLit(1.0 / Math.sqrt(hd)),
                                s.lang().barrier(),
                                tid,
                                tid,
                                bdim,
                                s.name(),
                                hd,
                                hd,
                                s.lang().barrier(),
                                tid,
                                bdim,
                                tid,
                                bdim,
                                tid,
                                hd,
                                bdim,
                                s.name(),
                                bs * kvd,
                                hd);
        // Scores for every position the block table can address, plus the scaled query row.
        List<Dim> shared = List.of(table.dim(1).times(Dim.of(4 * bs)), Dim.of(4 * hd));
        Launch l = new Launch(
                List.of(
                        new Launch.Extent(tokens.times(Dim.of(heads)), 1, Integer.MAX_VALUE),
                        Launch.one(),
                        Launch.one()),
                List.of(THREADS, 1, 1),
                shared);
        Kernel att = s.kernel(attend, l);
        // The key-row helper goes before the first kernel that uses it.
        Kernel kvWithHelper = new Kernel(kv.name(), kv.node(), kv.op(), keyRow + kv.source(), kv.launch());
        return List.of(kvWithHelper, att);
    }
}
