package fsc.backend.cuda;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.List;

/**
 * Decoder kernels over GGUF weights in their packed layouts ({@link QuantCuda} reads them):
 *
 * <ul>
 *   <li>{@code qmatmul}: one warp per weight row, eight rows per block. The warp walks its row in
 *       chunks of 256 elements (8 per lane, dequantized into registers once), and applies each chunk
 *       to every token of the step before moving on: decode (one token) is a GEMV that reads the
 *       weights once, and prefill reuses each unpacked chunk for all its tokens, as the Java
 *       backend's prefill path reuses an unpacked row.
 *   <li>{@code embedding}: one block per token copying its dequantized row.
 *   <li>{@code rope}: one thread per rotated pair (or copied feature past the rotary width), as
 *       ggml's "normal" (interleaved) or NeoX (halves) mode.
 * </ul>
 */
final class LlmCuda {
    private LlmCuda() {}

    static final int WARPS = 8;
    static final int CHUNK = 256;

    static Kernel qmatmul(KernelScope s) {
        Node n = s.node();
        TensorType x = s.inType(0);
        TensorType w = s.inType(1);
        long k = w.dim(1).value();
        long rows = w.dim(0).value();
        Dim tokens = CExpr.product(x, 0, x.rank() - 1);
        long rowBytes = w.dtype().bytesFor(k);
        String body =
                """
                  // y[t, j] = dot(w row j, x row t), w %s [%d, %d], %d bytes per row
                  const int lane = threadIdx.x %% 32;
                  const i64 j = (i64)blockIdx.x * %d + threadIdx.x / 32;
                  if (j >= %dLL) return;
                  const u8* wr = %s + j * %dLL;
                  const float* x = %s;
                  float* y = %s;
                  const i64 T = %s;
                  for (i64 c = 0; c < %dLL; c += %d) {
                    float wv[8];
                    #pragma unroll
                    for (int u = 0; u < 8; u++) {
                      const i64 e = c + u * 32 + lane;
                      wv[u] = e < %dLL ? %s(wr, e) : 0.0f;
                    }
                    for (i64 t = 0; t < T; t++) {
                      const float* xt = x + t * %dLL;
                      float acc = 0.0f;
                      #pragma unroll
                      for (int u = 0; u < 8; u++) {
                        const i64 e = c + u * 32 + lane;
                        if (e < %dLL) acc += wv[u] * xt[e];
                      }
                      acc = fsc_warp_sum(acc);
                      if (lane == 0) y[t * %dLL + j] = (c == 0 ? 0.0f : y[t * %dLL + j]) + acc;
                    }
                  }
                """
                        .formatted(
                                w.dtype().irName(),
                                rows,
                                k,
                                rowBytes,
                                WARPS,
                                rows,
                                s.layout().pointer(n.input(1), "u8", false),
                                rowBytes,
                                s.in(0),
                                s.out(0),
                                CExpr.dim(tokens),
                                k,
                                CHUNK,
                                k,
                                QuantCuda.reader(w.dtype()),
                                k,
                                k,
                                rows,
                                rows);
        Launch l = new Launch(
                List.of(new Launch.Extent(Dim.of(rows), WARPS, Integer.MAX_VALUE), Launch.one(), Launch.one()),
                List.of(WARPS * 32, 1, 1),
                List.of());
        return s.kernel(
                body.replace("threadIdx", s.lang().threadIdx())
                        .replace("blockIdx", s.lang().blockIdx()),
                l);
    }

    static Kernel embedding(KernelScope s) {
        TensorType table = s.inType(0);
        Value ids = s.node().input(1);
        long vocab = table.dim(0).value();
        long dim = table.dim(1).value();
        long rowBytes = table.dtype().bytesFor(dim);
        Dim count = ids.type().elementCount();
        String body =
                """
                  // row ids[i] of a %s [%d, %d] table; an id outside the vocabulary gives a zero row
                  // (a kernel cannot raise the Java backend's error; the runtime's tokenizer never produces one)
                  const i64 count = %s;
                  for (i64 i = %s.x; i < count; i += %s.x) {
                    const i64 id = (i64)%s[i];
                    const bool ok = id >= 0 && id < %dLL;
                    const u8* row = %s + (ok ? id : 0) * %dLL;
                    float* y = %s + i * %dLL;
                    for (i64 e = %s.x; e < %dLL; e += %s.x) y[e] = ok ? %s(row, e) : 0.0f;
                  }
                """
                        .formatted(
                                table.dtype().irName(),
                                vocab,
                                dim,
                                CExpr.dim(count),
                                s.lang().blockIdx(),
                                s.lang().gridDim(),
                                s.in(1),
                                vocab,
                                s.layout().pointer(s.node().input(0), "u8", false),
                                rowBytes,
                                s.out(0),
                                dim,
                                s.lang().threadIdx(),
                                dim,
                                s.lang().blockDim(),
                                QuantCuda.reader(table.dtype()));
        return s.kernel(body, Launch.perRow(count, 128));
    }

    /** Same modes and layouts as {@code LlmKernels.rope}: {@code [B,S,H*D]} with num_heads, or {@code [B,H,S,D]}. */
    static Kernel rope(KernelScope s) {
        Node n = s.node();
        TensorType x = s.inType(0);
        List<Dim> xd = x.dims();
        boolean headsMajor = xd.size() == 4;
        long heads = headsMajor ? xd.get(1).value() : n.intAttr("num_heads");
        Dim seq = headsMajor ? xd.get(2) : xd.get(1);
        long headDim = headsMajor
                ? xd.get(3).value()
                : xd.get(2).dividedBy(Dim.of(heads)).orElseThrow().value();
        long rotary = n.intAttr("rotary_embedding_dim") == 0 ? headDim : n.intAttr("rotary_embedding_dim");
        long half = rotary / 2;
        boolean interleaved = n.intAttr("interleaved") != 0;
        boolean positions = n.inputs().size() > 3;
        String pos = positions ? "(i64)" + s.in(3) + "[tok]" : "tok";
        long perRow = half + headDim - rotary;
        Dim items = CExpr.product(x, 0, x.rank())
                .times(Dim.of(perRow))
                .dividedBy(Dim.of(headDim))
                .orElseThrow();
        // Every head's features are one contiguous row of head_dim floats in both layouts; a thread owns
        // a whole pair (read both, write both), so the kernel is also right when y aliases x.
        String body =
                """
                  // rope %s, %s layout, head_dim %d, rotary %d: one thread per rotated pair or copied feature
                %s  const float* x = %s;
                  float* y = %s;
                  const float* cs = %s;
                  const float* sn = %s;
                  const i64 n = %s;
                  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)blockDim.x * gridDim.x) {
                    const i64 r = i / %dLL, g = i %% %dLL, base = r * %dLL;
                    if (g >= %dLL) { const i64 f = %dLL + g - %dLL; y[base + f] = x[base + f]; continue; }
                    const i64 tok = %s;
                    const i64 p = %s;
                    const i64 a = base + %s, b = base + %s;
                    const float c = cs[p * %dLL + g], sv = sn[p * %dLL + g];
                    const float x1 = x[a], x2 = x[b];
                    y[a] = x1 * c - x2 * sv;
                    y[b] = x1 * sv + x2 * c;
                  }
                """
                        .formatted(
                                interleaved ? "interleaved" : "neox",
                                headsMajor ? "[B,H,S,D]" : "[B,S,H*D]",
                                headDim,
                                rotary,
                                headsMajor ? "  const i64 S = " + CExpr.dim(seq) + ";\n" : "",
                                s.in(0),
                                s.out(0),
                                s.in(1),
                                s.in(2),
                                CExpr.dim(items),
                                perRow,
                                perRow,
                                headDim,
                                half,
                                rotary,
                                half,
                                // The token (b*S + s) of head row r in either layout.
                                headsMajor ? "(r / (" + heads + "LL * S)) * S + r % S" : "r / " + heads + "LL",
                                pos,
                                interleaved ? "2 * g" : "g",
                                interleaved ? "2 * g + 1" : "g + " + half + "LL",
                                half,
                                half);
        String expanded = body.replace("blockIdx", s.lang().blockIdx())
                .replace("blockDim", s.lang().blockDim())
                .replace("threadIdx", s.lang().threadIdx())
                .replace("gridDim", s.lang().gridDim());
        return s.kernel(expanded, Launch.linear(items, 256));
    }

    /** qmatmul and embedding read f32 activations and i32/i64 ids; the weight is any type {@link QuantCuda} reads. */
    static boolean weightReadable(Node n) {
        DType w = n.op().equals("qmatmul") ? n.input(1).dtype() : n.input(0).dtype();
        return QuantCuda.WEIGHTS.contains(w);
    }
}
