package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** {@code matmul} (numpy semantics), {@code gemm} (ONNX Gemm) and {@code matmul_int8} (quantized). */
final class LinalgOps {
    private LinalgOps() {}

    static List<OpDef> defs() {
        return List.of(
                OpSpec.fixed("matmul", 2, LinalgOps::matmul),
                new OpSpec("gemm", 2, 3, LinalgOps::gemm),
                new OpSpec("matmul_int8", 4, 6, LinalgOps::matmulInt8));
    }

    /**
     * {@code matmul_int8(a u8|i8[..., M, K], a_zp (a's type, one element), b i8[K, N], b_offset i32[N]
     * [, scale f32 (one element or [N]) [, bias f32[N]]])}: {@code acc = sum_k (a - a_zp)·(b -
     * b_offset)} exactly in int32, the output {@code i32[..., M, N]}; with a scale it is {@code
     * f32(acc)·scale (+ bias)} in f32 instead. Made by the {@code int8-gemm} pass from an integer
     * matmul of centred 8-bit operands, usually with {@code b} in the {@code {panelW}} layout.
     */
    private static List<TensorType> matmulInt8(InferContext ctx) {
        TensorType a = ctx.input(0);
        TensorType zp = ctx.input(1);
        TensorType b = ctx.input(2);
        TensorType off = ctx.input(3);
        if ((a.dtype() != DType.U8 && a.dtype() != DType.I8) || a.rank() < 2) {
            throw ctx.fail("a must be u8 or i8 with at least two dimensions, got " + a);
        }
        if (zp.dtype() != a.dtype() || !zp.isStatic() || !zp.elementCount().equals(Dim.of(1))) {
            throw ctx.fail("a_zp must be one " + a.dtype().irName() + " element, got " + zp);
        }
        if (b.dtype() != DType.I8 || b.rank() != 2 || !b.isStatic()) {
            throw ctx.fail("b must be a fixed-size i8 matrix [K, N], got " + b);
        }
        Dim k = a.dim(a.rank() - 1);
        Dim n = b.dim(1);
        if (!k.equals(b.dim(0))) {
            throw ctx.fail("a " + a + " has " + k + " columns but b " + b + " has " + b.dim(0) + " rows");
        }
        if (off.dtype() != DType.I32 || off.rank() != 1 || !off.dim(0).equals(n)) {
            throw ctx.fail("b_offset must be i32[" + n + "], got " + off);
        }
        if (ctx.inputCount() > 4) {
            TensorType scale = ctx.input(4);
            boolean one = scale.elementCount().equals(Dim.of(1));
            if (scale.dtype() != DType.F32 || !(one || scale.rank() == 1 && scale.dim(0).equals(n))) {
                throw ctx.fail("scale must be one f32 or f32[" + n + "], got " + scale);
            }
        }
        if (ctx.inputCount() > 5) {
            TensorType bias = ctx.input(5);
            if (bias.dtype() != DType.F32 || bias.rank() != 1 || !bias.dim(0).equals(n)) {
                throw ctx.fail("bias must be f32[" + n + "], got " + bias);
            }
        }
        List<Dim> out = new ArrayList<>(a.dims());
        out.set(out.size() - 1, n);
        return List.of(TensorType.of(ctx.inputCount() > 4 ? DType.F32 : DType.I32).withDims(out));
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
        return List.of(a.withDims(dims));
    }

    private static List<TensorType> gemm(InferContext ctx) {
        TensorType a = ctx.input(0);
        TensorType b = ctx.input(1);
        if (a.rank() != 2 || b.rank() != 2 || a.dtype() != b.dtype()) {
            throw ctx.fail("needs two matrices of one type, got " + a + " and " + b);
        }
        boolean ta = ctx.intAttr("trans_a", 0) != 0;
        boolean tb = ctx.intAttr("trans_b", 0) != 0;
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
