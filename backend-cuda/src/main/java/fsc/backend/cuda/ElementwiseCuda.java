package fsc.backend.cuda;

import fsc.ir.DType;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Elementwise kernels: one thread per output element in a grid-stride loop; each operand is read
 * through its numpy-broadcast index, so {@code add(bias[384], x[B,S,384])} needs no expand. A fused
 * {@code elementwise} node runs its whole body per element in registers: one read per operand, one
 * write per result. {@code expand} is the identity under broadcasting.
 */
final class ElementwiseCuda {
    private ElementwiseCuda() {}

    static final int THREADS = 256;

    static Kernel plain(KernelScope s) {
        Node n = s.node();
        TensorType out = s.outType();
        CudaLanguage lang = s.lang();
        StringBuilder body = new StringBuilder(s.gridStride(out.elementCount()));
        body.append(CExpr.unflatten(out, "i", "o"));
        List<String> args = new ArrayList<>();
        for (int k = 0; k < n.inputs().size(); k++) {
            TensorType t = s.inType(k);
            String idx = CExpr.broadcastIndex(t, out.rank(), "o");
            body.append("    const ")
                    .append(lang.compute(t.dtype()))
                    .append(" a")
                    .append(k)
                    .append(" = ")
                    .append(lang.load(t.dtype(), s.in(k) + "[" + idx + "]"))
                    .append(";\n");
            args.add("a" + k);
        }
        DType semantic =
                n.op().equals("where") ? s.inType(1).dtype() : s.inType(0).dtype();
        String e = n.op().equals("expand") ? "a0" : ScalarOps.expr(lang, n, semantic, args);
        body.append("    ")
                .append(s.out(0))
                .append("[i] = ")
                .append(lang.store(out.dtype(), e))
                .append(";\n");
        body.append("  }\n");
        return s.kernel(body.toString(), Launch.linear(out.elementCount(), THREADS));
    }

    /**
     * Whether {@code n} is a fused node this emitter can run per element: every body node is
     * elementwise and has the fused output's shape (the params may broadcast).
     */
    static boolean fusable(Node n) {
        if (!n.isFused()) {
            return false;
        }
        TensorType out = n.outputs().getFirst().type();
        for (Node b : n.body().nodes()) {
            if (!ScalarOps.isElementwise(b.op()) || !b.output().type().dims().equals(out.dims())) {
                return false;
            }
        }
        for (Value r : n.outputs()) {
            if (!r.type().dims().equals(out.dims())) {
                return false;
            }
        }
        return true;
    }

    static Kernel fused(KernelScope s) {
        Node n = s.node();
        TensorType out = s.outType();
        CudaLanguage lang = s.lang();
        StringBuilder body = new StringBuilder(s.gridStride(out.elementCount()));
        body.append(CExpr.unflatten(out, "i", "o"));
        Map<Value, String> names = new IdentityHashMap<>();
        Map<Value, DType> types = new IdentityHashMap<>();
        for (int k = 0; k < n.inputs().size(); k++) {
            Value p = n.body().params().get(k);
            TensorType t = p.type();
            String idx = CExpr.broadcastIndex(t, out.rank(), "o");
            body.append("    const ")
                    .append(lang.compute(t.dtype()))
                    .append(" p")
                    .append(k)
                    .append(" = ")
                    .append(lang.load(t.dtype(), s.in(k) + "[" + idx + "]"))
                    .append(";\n");
            names.put(p, "p" + k);
            types.put(p, t.dtype());
        }
        int t = 0;
        for (Node b : n.body().nodes()) {
            List<String> args = b.inputs().stream().map(v -> operand(names, v)).toList();
            DType semantic = b.op().equals("where") ? types.get(b.input(1)) : types.get(b.input(0));
            DType res = b.output().dtype();
            String e = lang.store(res, ScalarOps.expr(lang, b, semantic, args));
            // Round through the value's own dtype (as the interpreter does) before widening again.
            String v = "t" + t++;
            body.append("    // ").append(b.op()).append(" ").append(b.name()).append("\n");
            body.append("    const ")
                    .append(lang.compute(res))
                    .append(" ")
                    .append(v)
                    .append(" = ")
                    .append(lang.load(res, e))
                    .append(";\n");
            names.put(b.output(), v);
            types.put(b.output(), res);
        }
        for (int r = 0; r < n.outputs().size(); r++) {
            Value y = n.body().results().get(r);
            body.append("    ")
                    .append(s.out(r))
                    .append("[i] = ")
                    .append(lang.store(n.outputs().get(r).dtype(), operand(names, y)))
                    .append(";\n");
        }
        body.append("  }\n");
        return s.kernel(body.toString(), Launch.linear(out.elementCount(), THREADS));
    }

    private static String operand(Map<Value, String> names, Value v) {
        String name = names.get(v);
        if (name == null) {
            throw new IllegalStateException("backend-cuda: fused body reads " + v.name() + " before defining it");
        }
        return name;
    }
}
