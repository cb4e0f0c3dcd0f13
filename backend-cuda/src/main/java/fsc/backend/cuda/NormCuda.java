package fsc.backend.cuda;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;

/**
 * Row-wise kernels, one block per row with block-wide reductions ({@code fsc_block_sum} /
 * {@code fsc_block_max} in {@link CudaModule#PRELUDE}): layer_norm (two passes, mean then centred
 * variance, like the interpreter, which avoids the cancellation of E[x²]−E[x]²), rms_norm, softmax
 * and log_softmax over any axis (a row is strided by the product of the dims after the axis).
 */
final class NormCuda {
    private NormCuda() {}

    static final int THREADS = 256;

    static Kernel norm(KernelScope s) {
        Node n = s.node();
        TensorType x = s.inType(0);
        CudaLanguage lang = s.lang();
        int axis = (int) Math.floorMod(n.intAttr("axis"), x.rank());
        Dim rows = CExpr.product(x, 0, axis);
        Dim len = CExpr.product(x, axis, x.rank());
        boolean rms = n.op().equals("rms_norm");
        DType xt = x.dtype();
        String ld = lang.load(xt, "x[j]");
        StringBuilder b = new StringBuilder();
        b.append("  ").append(lang.sharedKeyword()).append(" float red[32];\n");
        b.append("  const i64 L = ").append(CExpr.dim(len)).append(";\n");
        b.append("  for (i64 row = ")
                .append(lang.blockIdx())
                .append(".x; row < ")
                .append(CExpr.dim(rows))
                .append("; row += ")
                .append(lang.gridDim())
                .append(".x) {\n");
        b.append("  const ")
                .append(lang.storage(xt))
                .append("* x = ")
                .append(s.in(0))
                .append(" + row * L;\n");
        b.append("  ")
                .append(lang.storage(s.outType().dtype()))
                .append("* y = ")
                .append(s.out(0))
                .append(" + row * L;\n");
        b.append("  float mean = 0.0f;\n");
        if (!rms) {
            b.append("  float t = 0.0f;\n");
            b.append("  for (i64 j = ")
                    .append(lang.threadIdx())
                    .append(".x; j < L; j += ")
                    .append(lang.blockDim())
                    .append(".x) t += ")
                    .append(ld)
                    .append(";\n");
            b.append("  mean = fsc_block_sum(t, red) / (float)L;\n");
        }
        b.append("  float v = 0.0f;\n");
        b.append("  for (i64 j = ")
                .append(lang.threadIdx())
                .append(".x; j < L; j += ")
                .append(lang.blockDim())
                .append(".x) { const float d = ")
                .append(ld)
                .append(" - mean; v += d * d; }\n");
        b.append("  const float inv = rsqrtf(fsc_block_sum(v, red) / (float)L + ")
                .append(ScalarOps.floatLit(n.floatAttr("epsilon")))
                .append(");\n");
        String scale = param(s, 1, "j");
        String bias = n.inputs().size() > 2 ? " + " + param(s, 2, "j") : "";
        b.append("  for (i64 j = ")
                .append(lang.threadIdx())
                .append(".x; j < L; j += ")
                .append(lang.blockDim())
                .append(".x) y[j] = ")
                .append(lang.store(s.outType().dtype(), "(" + ld + " - mean) * inv * " + scale + bias))
                .append(";\n");
        b.append("  }\n");
        return s.kernel(b.toString(), Launch.perRow(rows, THREADS));
    }

    /** Operand {@code i} (scale or bias, shaped like a suffix of the row) at row position {@code j}. */
    private static String param(KernelScope s, int i, String j) {
        TensorType t = s.inType(i);
        return s.lang().load(t.dtype(), s.in(i) + "[" + j + " % " + CExpr.dim(t.elementCount()) + "]");
    }

    static Kernel softmax(KernelScope s) {
        Node n = s.node();
        TensorType x = s.inType(0);
        CudaLanguage lang = s.lang();
        int axis = (int) Math.floorMod(n.intAttr("axis"), x.rank());
        Dim outer = CExpr.product(x, 0, axis);
        Dim inner = CExpr.product(x, axis + 1, x.rank());
        Dim len = x.dim(axis);
        boolean log = n.op().equals("log_softmax");
        String ld = lang.load(x.dtype(), "x[j * IN]");
        StringBuilder b = new StringBuilder();
        b.append("  ").append(lang.sharedKeyword()).append(" float red[32];\n");
        b.append("  const i64 L = ")
                .append(CExpr.dim(len))
                .append(", IN = ")
                .append(CExpr.dim(inner))
                .append(";\n");
        b.append("  for (i64 row = ")
                .append(lang.blockIdx())
                .append(".x; row < ")
                .append(CExpr.dim(outer.times(inner)))
                .append("; row += ")
                .append(lang.gridDim())
                .append(".x) {\n");
        b.append("  const i64 base = (row / IN) * L * IN + row % IN;\n");
        b.append("  const ")
                .append(lang.storage(x.dtype()))
                .append("* x = ")
                .append(s.in(0))
                .append(" + base;\n");
        b.append("  ")
                .append(lang.storage(s.outType().dtype()))
                .append("* y = ")
                .append(s.out(0))
                .append(" + base;\n");
        b.append("  float mx = -INFINITY;\n");
        b.append("  for (i64 j = ")
                .append(lang.threadIdx())
                .append(".x; j < L; j += ")
                .append(lang.blockDim())
                .append(".x) mx = fmaxf(mx, ")
                .append(ld)
                .append(");\n");
        b.append("  mx = fsc_block_max(mx, red);\n");
        b.append("  float t = 0.0f;\n");
        b.append("  for (i64 j = ")
                .append(lang.threadIdx())
                .append(".x; j < L; j += ")
                .append(lang.blockDim())
                .append(".x) t += __expf(")
                .append(ld)
                .append(" - mx);\n");
        b.append("  const float sum = fsc_block_sum(t, red);\n");
        String v = log ? "(" + ld + " - mx - logf(sum))" : "(__expf(" + ld + " - mx) / sum)";
        b.append("  for (i64 j = ")
                .append(lang.threadIdx())
                .append(".x; j < L; j += ")
                .append(lang.blockDim())
                .append(".x) y[j * IN] = ")
                .append(lang.store(s.outType().dtype(), v))
                .append(";\n");
        b.append("  }\n");
        return s.kernel(b.toString(), Launch.perRow(outer.times(inner), THREADS));
    }
}
