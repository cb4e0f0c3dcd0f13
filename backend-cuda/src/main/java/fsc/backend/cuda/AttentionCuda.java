package fsc.backend.cuda;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;
import java.util.List;

/**
 * {@code attention}: softmax(q·kᵀ·scale [softcapped] + mask [+ causal]) · v, as the interpreter
 * defines it. One block per query row (b, h, i): the row's scores live in dynamic shared memory
 * (Skv floats, sized at launch from the symbol values), so K and V are each read once per row.
 * Grouped-query heads read kv head {@code h / (Hq/Hkv)}; a fully masked row gives zeros. This is the
 * straightforward row kernel, not FlashAttention's tiling: at MiniLM's sizes (Skv ≤ 512, D = 32)
 * the scores fit in shared memory and the kernel is bound by reading K and V.
 */
final class AttentionCuda {
    private AttentionCuda() {}

    static final int THREADS = 128;

    static Kernel emit(KernelScope s) {
        Node n = s.node();
        CudaLanguage lang = s.lang();
        TensorType q = s.inType(0);
        TensorType k = s.inType(1);
        TensorType v = s.inType(2);
        TensorType out = s.outType();
        Dim hq = q.dim(1);
        Dim sq = q.dim(2);
        Dim d = q.dim(3);
        Dim hkv = k.dim(1);
        Dim skv = k.dim(2);
        Dim dv = v.dim(3);
        if (!hq.isFixed() || !hkv.isFixed()) {
            throw new IllegalStateException("backend-cuda: symbolic head count in " + n.where());
        }
        long group = hq.value() / hkv.value();
        double scale = n.has("scale") ? n.floatAttr("scale") : 1 / Math.sqrt(d.isFixed() ? d.value() : 1);
        double softcap = n.floatAttr("softcap");
        String causal = n.strAttr("causal");
        String tid = lang.threadIdx() + ".x";
        String bdim = lang.blockDim() + ".x";
        StringBuilder b = new StringBuilder();
        b.append("  extern ").append(lang.sharedKeyword()).append(" float sc[];\n");
        b.append("  ").append(lang.sharedKeyword()).append(" float red[32];\n");
        b.append("  const i64 HQ = ")
                .append(CExpr.dim(hq))
                .append(", SQ = ")
                .append(CExpr.dim(sq))
                .append(", D = ")
                .append(CExpr.dim(d))
                .append(", HKV = ")
                .append(CExpr.dim(hkv))
                .append(", SKV = ")
                .append(CExpr.dim(skv))
                .append(", DV = ")
                .append(CExpr.dim(dv))
                .append(";\n");
        b.append("  for (i64 row = ")
                .append(lang.blockIdx())
                .append(".x; row < ")
                .append(CExpr.dim(q.dim(0).times(hq).times(sq)))
                .append("; row += ")
                .append(lang.gridDim())
                .append(".x) {\n");
        b.append("  const i64 o2 = row % SQ, o1 = (row / SQ) % HQ, o0 = row / (SQ * HQ);\n");
        b.append("  const i64 kh = o1 / ").append(group).append("LL;\n");
        b.append("  const ")
                .append(lang.storage(q.dtype()))
                .append("* qr = ")
                .append(s.in(0))
                .append(" + row * D;\n");
        b.append("  const ")
                .append(lang.storage(k.dtype()))
                .append("* kb = ")
                .append(s.in(1))
                .append(" + (o0 * HKV + kh) * SKV * D;\n");
        b.append("  const ")
                .append(lang.storage(v.dtype()))
                .append("* vb = ")
                .append(s.in(2))
                .append(" + (o0 * HKV + kh) * SKV * DV;\n");
        b.append("  float* qs = sc + SKV;\n");
        b.append("  for (i64 t = ")
                .append(tid)
                .append("; t < D; t += ")
                .append(bdim)
                .append(") qs[t] = ")
                .append(lang.load(q.dtype(), "qr[t]"))
                .append(";\n");
        b.append("  ").append(lang.barrier()).append(";\n");
        b.append("  float mx = -INFINITY;\n");
        b.append("  for (i64 o3 = ")
                .append(tid)
                .append("; o3 < SKV; o3 += ")
                .append(bdim)
                .append(") {\n");
        b.append("    float dot = 0.0f;\n");
        b.append("    for (i64 t = 0; t < D; t++) dot = fmaf(qs[t], ")
                .append(lang.load(k.dtype(), "kb[o3 * D + t]"))
                .append(", dot);\n");
        b.append("    float sv = dot * ").append(ScalarOps.floatLit(scale)).append(";\n");
        if (softcap > 0) {
            String c = ScalarOps.floatLit(softcap);
            b.append("    sv = ").append(c).append(" * tanhf(sv / ").append(c).append(");\n");
        }
        if (n.inputs().size() > 3) {
            TensorType m = s.inType(3);
            String at = s.in(3) + "[" + CExpr.broadcastIndex(m, 4, "o") + "]";
            if (m.dtype() == DType.BOOL) {
                b.append("    if (!").append(at).append(") sv = -INFINITY;\n");
            } else {
                b.append("    sv += ").append(lang.load(m.dtype(), at)).append(";\n");
            }
        }
        switch (causal) {
            case "upper_left" -> b.append("    if (o3 > o2) sv = -INFINITY;\n");
            case "lower_right" -> b.append("    if (o3 > o2 + SKV - SQ) sv = -INFINITY;\n");
            default -> {}
        }
        b.append("    sc[o3] = sv;\n");
        b.append("    mx = fmaxf(mx, sv);\n");
        b.append("  }\n");
        b.append("  mx = fsc_block_max(mx, red);\n");
        b.append("  float t = 0.0f;\n");
        b.append("  for (i64 o3 = ")
                .append(tid)
                .append("; o3 < SKV; o3 += ")
                .append(bdim)
                .append(") {\n");
        b.append("    const float p = mx == -INFINITY ? 0.0f : __expf(sc[o3] - mx);\n");
        b.append("    sc[o3] = p;\n");
        b.append("    t += p;\n");
        b.append("  }\n");
        b.append("  const float sum = fsc_block_sum(t, red);\n");
        b.append("  const float rs = sum > 0.0f ? 1.0f / sum : 0.0f;\n");
        b.append("  ")
                .append(lang.storage(out.dtype()))
                .append("* y = ")
                .append(s.out(0))
                .append(" + row * DV;\n");
        b.append("  for (i64 e = ")
                .append(tid)
                .append("; e < DV; e += ")
                .append(bdim)
                .append(") {\n");
        b.append("    float acc = 0.0f;\n");
        b.append("    for (i64 j = 0; j < SKV; j++) acc = fmaf(sc[j], ")
                .append(lang.load(v.dtype(), "vb[j * DV + e]"))
                .append(", acc);\n");
        b.append("    y[e] = ").append(lang.store(out.dtype(), "acc * rs")).append(";\n");
        b.append("  }\n");
        b.append("  ").append(lang.barrier()).append(";\n");
        b.append("  }\n");
        Dim rows = q.dim(0).times(hq).times(sq);
        // Dynamic shared memory: the scores (Skv floats), then the query row (D floats).
        return s.kernel(
                b.toString(),
                new Launch(
                        List.of(new Launch.Extent(rows, 1, Integer.MAX_VALUE), Launch.one(), Launch.one()),
                        List.of(THREADS, 1, 1),
                        List.of(skv.times(Dim.of(4)), d.times(Dim.of(4)))));
    }
}
