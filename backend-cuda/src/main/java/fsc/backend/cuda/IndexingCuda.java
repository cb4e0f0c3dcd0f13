package fsc.backend.cuda;

import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Data movement: gather (embedding lookups), transpose and slice. One thread per output element
 * computes the source index from the output coordinates; writes are coalesced, reads follow the
 * permutation (a tiled shared-memory transpose is not worth it at MiniLM's head size of 32).
 */
final class IndexingCuda {
    private IndexingCuda() {}

    static Kernel gather(KernelScope s) {
        Node n = s.node();
        TensorType data = s.inType(0);
        TensorType idx = s.inType(1);
        TensorType out = s.outType();
        int axis = (int) Math.floorMod(n.intAttr("axis"), data.rank());
        CudaLanguage lang = s.lang();
        StringBuilder b = new StringBuilder(s.gridStride(out.elementCount()));
        b.append(CExpr.unflatten(out, "i", "o"));
        // Output coords: data[:axis] ++ indices ++ data[axis+1:].
        List<String> idxTerms = new ArrayList<>();
        List<Dim> idxStrides = CExpr.strides(idx);
        for (int k = 0; k < idx.rank(); k++) {
            idxTerms.add("o" + (axis + k) + "*" + CExpr.dim(idxStrides.get(k)));
        }
        String ii = idxTerms.isEmpty() ? "0" : String.join(" + ", idxTerms);
        b.append("    i64 j = (i64)").append(s.in(1)).append("[").append(ii).append("];\n");
        b.append("    if (j < 0) j += ").append(CExpr.dim(data.dim(axis))).append(";\n");
        List<Dim> ds = CExpr.strides(data);
        List<String> terms = new ArrayList<>();
        for (int k = 0; k < data.rank(); k++) {
            String coord = k < axis ? "o" + k : k == axis ? "j" : "o" + (k - 1 + idx.rank());
            terms.add(coord + "*" + CExpr.dim(ds.get(k)));
        }
        b.append("    ")
                .append(s.out(0))
                .append("[i] = ")
                .append(s.in(0))
                .append("[")
                .append(String.join(" + ", terms))
                .append("];\n  }\n");
        return s.kernel(b.toString(), Launch.linear(out.elementCount(), ElementwiseCuda.THREADS));
    }

    static Kernel transpose(KernelScope s) {
        long[] perm = s.node().intsAttr("perm");
        TensorType in = s.inType(0);
        TensorType out = s.outType();
        StringBuilder b = new StringBuilder(s.gridStride(out.elementCount()));
        b.append(CExpr.unflatten(out, "i", "o"));
        List<Dim> st = CExpr.strides(in);
        List<String> terms = new ArrayList<>();
        for (int k = 0; k < out.rank(); k++) {
            terms.add("o" + k + "*" + CExpr.dim(st.get((int) perm[k])));
        }
        b.append("    ")
                .append(s.out(0))
                .append("[i] = ")
                .append(s.in(0))
                .append("[")
                .append(terms.isEmpty() ? "0" : String.join(" + ", terms))
                .append("];\n  }\n");
        return s.kernel(b.toString(), Launch.linear(out.elementCount(), ElementwiseCuda.THREADS));
    }

    /** Folded slice: {@code starts}, {@code axes}, {@code steps}; the output type already holds the lengths. */
    static Kernel slice(KernelScope s) {
        Node n = s.node();
        TensorType in = s.inType(0);
        TensorType out = s.outType();
        List<Dim> starts = n.dimsAttr("starts");
        long[] axes = n.has("axes") ? n.intsAttr("axes") : range(starts.size());
        long[] steps = n.has("steps") ? n.intsAttr("steps") : ones(starts.size());
        String[] start = new String[in.rank()];
        long[] step = new long[in.rank()];
        java.util.Arrays.fill(start, "0LL");
        java.util.Arrays.fill(step, 1);
        for (int k = 0; k < starts.size(); k++) {
            int ax = (int) Math.floorMod(axes[k], in.rank());
            start[ax] = CExpr.dim(starts.get(k));
            step[ax] = steps[k];
            if (!starts.get(k).isFixed() && steps[k] < 0) {
                throw new IllegalStateException("backend-cuda: negative step with symbolic start in " + n.where());
            }
        }
        StringBuilder b = new StringBuilder(s.gridStride(out.elementCount()));
        b.append(CExpr.unflatten(out, "i", "o"));
        List<Dim> st = CExpr.strides(in);
        List<String> terms = new ArrayList<>();
        for (int k = 0; k < in.rank(); k++) {
            String coord = start[k] + " + o" + k + "*" + step[k] + "LL";
            if (starts.size() > 0 && start[k].startsWith("-")) {
                coord = "(" + start[k] + " + " + CExpr.dim(in.dim(k)) + ") + o" + k + "*" + step[k] + "LL";
            }
            terms.add("(" + coord + ")*" + CExpr.dim(st.get(k)));
        }
        b.append("    ")
                .append(s.out(0))
                .append("[i] = ")
                .append(s.in(0))
                .append("[")
                .append(terms.isEmpty() ? "0" : String.join(" + ", terms))
                .append("];\n  }\n");
        return s.kernel(b.toString(), Launch.linear(out.elementCount(), ElementwiseCuda.THREADS));
    }

    private static long[] range(int n) {
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    private static long[] ones(int n) {
        long[] r = new long[n];
        java.util.Arrays.fill(r, 1);
        return r;
    }
}
