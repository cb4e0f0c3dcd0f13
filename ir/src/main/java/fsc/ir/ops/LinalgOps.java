package fsc.ir.ops;

import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** {@code matmul} (numpy semantics) and {@code gemm} (ONNX Gemm). */
final class LinalgOps {
    private LinalgOps() {}

    static List<OpDef> defs() {
        return List.of(
                OpSpec.fixed("matmul", 2, LinalgOps::matmul),
                new OpSpec("gemm", 2, 3, LinalgOps::gemm)
                        .attrs(
                                AttrSpec.number("alpha", 1.0),
                                AttrSpec.number("beta", 1.0),
                                AttrSpec.integer("trans_a", 0),
                                AttrSpec.integer("trans_b", 0)));
    }

    /**
     * numpy.matmul: a 1-D operand is promoted to a matrix (a row for {@code a}, a column for {@code
     * b}) and the added dimension removed again; leading dimensions broadcast.
     */
    private static List<TensorType> matmul(InferContext ctx) {
        TensorType a = ctx.input(0);
        TensorType b = ctx.input(1);
        if (a.dtype() != b.dtype()) {
            throw ctx.fail("operand types differ: " + a + " and " + b);
        }
        return List.of(a.withDims(productDims(ctx, a, b)));
    }

    /** The dimensions of numpy.matmul's result for operands of any element types. */
    static List<Dim> productDims(InferContext ctx, TensorType a, TensorType b) {
        if (a.rank() == 0 || b.rank() == 0) {
            throw ctx.fail("cannot multiply scalars: " + a + " and " + b);
        }
        List<Dim> ad = a.rank() == 1 ? List.of(Dim.of(1), a.dim(0)) : a.dims();
        List<Dim> bd = b.rank() == 1 ? List.of(b.dim(0), Dim.of(1)) : b.dims();
        Dim k = ad.getLast();
        if (!k.equals(bd.get(bd.size() - 2))) {
            throw ctx.fail("inner dimensions differ: " + a + " times " + b);
        }
        List<Dim> batchA = ad.subList(0, ad.size() - 2);
        List<Dim> batchB = bd.subList(0, bd.size() - 2);
        List<Dim> dims = new ArrayList<>(Shapes.broadcast(batchA, batchB)
                .orElseThrow(() -> ctx.fail("batch dimensions of " + a + " and " + b + " do not broadcast")));
        if (a.rank() > 1) {
            dims.add(ad.get(ad.size() - 2));
        }
        if (b.rank() > 1) {
            dims.add(bd.getLast());
        }
        return dims;
    }

    private static List<TensorType> gemm(InferContext ctx) {
        TensorType a = ctx.input(0);
        TensorType b = ctx.input(1);
        if (a.rank() != 2 || b.rank() != 2 || a.dtype() != b.dtype()) {
            throw ctx.fail("needs two matrices of one type, got " + a + " and " + b);
        }
        boolean ta = ctx.intAttr("trans_a") != 0;
        boolean tb = ctx.intAttr("trans_b") != 0;
        Dim m = a.dim(ta ? 1 : 0);
        Dim k = a.dim(ta ? 0 : 1);
        Dim kb = b.dim(tb ? 1 : 0);
        Dim n = b.dim(tb ? 0 : 1);
        if (!k.equals(kb)) {
            throw ctx.fail("inner dimensions differ: " + a + " and " + b + " (trans_a=" + ta + ", trans_b=" + tb + ")");
        }
        List<Dim> out = List.of(m, n);
        if (ctx.inputCount() == 3) {
            TensorType c = ctx.input(2);
            if (c.dtype() != a.dtype() || !Shapes.broadcastsTo(c.dims(), out)) {
                throw ctx.fail(
                        "bias " + c + " does not broadcast to " + a.dtype().irName() + Shapes.show(out));
            }
        }
        return List.of(a.withDims(out));
    }
}
