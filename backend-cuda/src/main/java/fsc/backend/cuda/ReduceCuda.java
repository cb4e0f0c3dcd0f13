package fsc.backend.cuda;

import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code reduce_*} over any set of axes (folded form: {@code axes} attribute). One thread per output
 * element walks its reduced elements in order, in fp32 (f64 for f64), so the summation order is the
 * interpreter's. Good for the small pooled reductions of encoder heads; a large reduction along the
 * last axis should become a row kernel like {@link NormCuda} when a model needs it.
 */
final class ReduceCuda {
    private ReduceCuda() {}

    static Kernel emit(KernelScope s) {
        Node n = s.node();
        TensorType x = s.inType(0);
        TensorType out = s.outType();
        CudaLanguage lang = s.lang();
        TreeSet<Integer> axes = new TreeSet<>();
        if (n.has("axes") && n.intsAttr("axes").length > 0) {
            for (long a : n.intsAttr("axes")) {
                axes.add((int) Math.floorMod(a, x.rank()));
            }
        } else if (n.intAttr("noop_with_empty_axes") == 0) {
            for (int i = 0; i < x.rank(); i++) {
                axes.add(i);
            }
        }
        boolean keep = n.intAttr("keepdims") != 0;
        List<Integer> kept = new ArrayList<>();
        List<Integer> reduced = new ArrayList<>(axes);
        for (int i = 0; i < x.rank(); i++) {
            if (!axes.contains(i)) {
                kept.add(i);
            }
        }
        Dim count = Dim.of(1);
        for (int a : reduced) {
            count = count.times(x.dim(a));
        }
        List<Dim> st = CExpr.strides(x);
        String ct = lang.compute(x.dtype());
        StringBuilder b = new StringBuilder(s.gridStride(out.elementCount()));
        b.append(CExpr.unflatten(out, "i", "o"));
        List<String> base = new ArrayList<>();
        for (int k = 0; k < kept.size(); k++) {
            int outAxis = keep ? kept.get(k) : k;
            base.add("o" + outAxis + "*" + CExpr.dim(st.get(kept.get(k))));
        }
        b.append("    const i64 base = ")
                .append(base.isEmpty() ? "0" : String.join(" + ", base))
                .append(";\n");
        String init =
                switch (n.op()) {
                    case "reduce_max" -> "-INFINITY";
                    case "reduce_min" -> "INFINITY";
                    case "reduce_prod" -> "1";
                    default -> "0";
                };
        b.append("    ").append(ct).append(" acc = ").append(init).append(";\n");
        b.append("    for (i64 r = 0; r < ").append(CExpr.dim(count)).append("; r++) {\n");
        b.append("      i64 q = r, off = base;\n");
        for (int k = reduced.size() - 1; k >= 0; k--) {
            int a = reduced.get(k);
            b.append("      off += (q % ")
                    .append(CExpr.dim(x.dim(a)))
                    .append(") * ")
                    .append(CExpr.dim(st.get(a)))
                    .append("; q /= ")
                    .append(CExpr.dim(x.dim(a)))
                    .append(";\n");
        }
        b.append("      const ")
                .append(ct)
                .append(" v = ")
                .append(lang.load(x.dtype(), s.in(0) + "[off]"))
                .append(";\n");
        b.append("      ")
                .append(
                        switch (n.op()) {
                            case "reduce_max" -> "acc = v > acc ? v : acc;";
                            case "reduce_min" -> "acc = v < acc ? v : acc;";
                            case "reduce_prod" -> "acc *= v;";
                            case "reduce_l2" -> "acc += v * v;";
                            default -> "acc += v;";
                        })
                .append("\n    }\n");
        String result =
                switch (n.op()) {
                    case "reduce_mean" -> "acc / (" + ct + ")" + CExpr.dim(count);
                    case "reduce_l2" -> "sqrt(acc)";
                    default -> "acc";
                };
        b.append("    ")
                .append(s.out(0))
                .append("[i] = ")
                .append(lang.store(out.dtype(), result))
                .append(";\n  }\n");
        return s.kernel(b.toString(), Launch.linear(out.elementCount(), ElementwiseCuda.THREADS));
    }
}
