package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * The int8 kernels' ops, made by the {@code quant-gemm} pass from what the {@code quantize} pass
 * lowers ONNX's quantization ops ({@link QuantLinearOps}) to: DynamicQuantizeLinear's element-wise
 * decomposition, MatMulInteger / QLinearMatMul as i32 matmuls.
 */
final class QuantOps {
    private QuantOps() {}

    static List<OpDef> defs() {
        return List.of(
                OpSpec.fixed("dynamic_quantize", 1, QuantOps::dynamicQuantize),
                new OpSpec("dynamic_quantize_rows", 1, 2, QuantOps::dynamicQuantizeRows),
                // scale_factors: how many scale inputs follow b_offset (1, or 2 for a_scale and b_scale);
                // row_scale: 1 when a per-row scale input follows them; gelu: 1 for exact GELU last.
                new OpSpec("matmul_int8", 4, 8, QuantOps::matmulInt8)
                        .attrs(
                                AttrSpec.integer("gelu", 0),
                                AttrSpec.integer("row_scale", 0),
                                AttrSpec.integer("scale_factors", 1)));
    }

    /**
     * {@code dynamic_quantize(x f32[...])} gives {@code (y u8[...], scale f32[], zero_point u8[])} as
     * ONNX DynamicQuantizeLinear defines them: the range of x widened to include 0, {@code scale =
     * range / 255}, {@code zero_point = saturate(round(-min / scale))}, {@code y = saturate(round(x /
     * scale) + zero_point)}, rounding half to even.
     */
    static List<TensorType> dynamicQuantize(InferContext ctx) {
        TensorType x = ctx.input(0);
        if (x.dtype() != DType.F32) {
            throw ctx.fail("x must be f32, got " + x);
        }
        return List.of(x.withDType(DType.U8).withDims(x.dims()), TensorType.of(DType.F32), TensorType.of(DType.U8));
    }

    /**
     * {@code dynamic_quantize_rows(x f32[..., K] [, inv f32[K]])} gives {@code (q i8[..., K], scale
     * f32[..., 1])}: each row of x (times {@code inv} element by element when given, SmoothQuant's
     * {@code 1/s}) quantized symmetrically with its own scale, {@code scale = max(max|x_row|,
     * FLT_MIN) / 127}, {@code q = round(x / scale)} rounding half to even, each step in f32. It is
     * the {@code quantize} pass's run-time activation quantizer in one node instead of the
     * {@code mul, abs, reduce_max, max, div, div, round, cast} chain that defines it.
     */
    private static List<TensorType> dynamicQuantizeRows(InferContext ctx) {
        TensorType x = ctx.input(0);
        if (x.dtype() != DType.F32 || x.rank() < 1 || !x.dim(x.rank() - 1).isFixed()) {
            throw ctx.fail("x must be f32 with a fixed last dimension, got " + x);
        }
        Dim k = x.dim(x.rank() - 1);
        if (ctx.inputCount() > 1) {
            TensorType inv = ctx.input(1);
            if (inv.dtype() != DType.F32 || inv.rank() != 1 || !inv.dim(0).equals(k)) {
                throw ctx.fail("inv must be f32[" + k + "], got " + inv);
            }
        }
        List<Dim> rows = new ArrayList<>(x.dims());
        rows.set(rows.size() - 1, Dim.of(1));
        return List.of(
                x.withDType(DType.I8).withDims(x.dims()),
                TensorType.of(DType.F32).withDims(rows));
    }

    /**
     * {@code matmul_int8(a u8|i8[..., M, K], a_zp (a's type, one element), b i8[K, N], b_offset i32[N]
     * [, scale f32 (one element or [N]) [, bias f32[N]]])}: {@code acc = sum_k (a - a_zp)·(b -
     * b_offset)} exactly in int32, the output {@code i32[..., M, N]}; with a scale it is {@code
     * f32(acc)·scale (+ bias)} in f32 instead, rounded after each operation. {@code b} is usually in
     * the {@code {panelW}} layout.
     *
     * <p>With {@code scale_factors = 2} the scale comes as two inputs, {@code a_scale} (one element)
     * and {@code b_scale} (one or {@code [N]}), multiplied in f32 as the graph's {@code mul} did:
     * {@code matmul_int8(a, a_zp, b, b_offset, a_scale, b_scale [, bias])}. The kernel forms the
     * product in its epilogue, so no separate per-call node computes the column scales.
     *
     * <p>With {@code row_scale = 1} an f32 {@code [..., M, 1]} input (a's leading dimensions, one
     * per row) follows the scale(s), before the bias: {@code (f32(acc)·scale[j])·row[i] (+ bias[j])},
     * each step rounded to f32 (the quantize pass's per-token activation scales).
     *
     * <p>With {@code gelu = 1} (f32 output only) exact GELU, {@code x/2 · (1 + erf(x/√2))}, is
     * applied to the result, as the {@code gelu} node it absorbs would.
     */
    private static List<TensorType> matmulInt8(InferContext ctx) {
        TensorType a = ctx.input(0);
        TensorType zp = ctx.input(1);
        TensorType b = ctx.input(2);
        TensorType off = ctx.input(3);
        if ((a.dtype() != DType.U8 && a.dtype() != DType.I8) || a.rank() < 2) {
            throw ctx.fail("a must be u8 or i8 with at least two dimensions, got " + a);
        }
        if (zp.dtype() != a.dtype() || !zp.elementCount().equals(Dim.of(1))) {
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
        long factors = ctx.intAttr("scale_factors");
        if (factors != 1 && factors != 2) {
            throw ctx.fail("scale_factors must be 1 or 2, got " + factors);
        }
        long rowScale = ctx.intAttr("row_scale");
        if (rowScale != 0 && rowScale != 1) {
            throw ctx.fail("row_scale must be 0 or 1, got " + rowScale);
        }
        long gelu = ctx.intAttr("gelu");
        if (gelu != 0 && (gelu != 1 || ctx.inputCount() <= 4)) {
            throw ctx.fail("gelu must be 0, or 1 with a scale (an f32 output), got " + gelu);
        }
        int scalesEnd = 4 + (int) factors;
        int biasAt = scalesEnd + (int) rowScale;
        if (ctx.inputCount() > biasAt + 1
                || factors == 2 && ctx.inputCount() < 6
                || rowScale == 1 && ctx.inputCount() < biasAt) {
            throw ctx.fail(
                    ctx.inputCount() + " inputs do not fit scale_factors=" + factors + ", row_scale=" + rowScale);
        }
        if (rowScale == 1) {
            TensorType row = ctx.input(scalesEnd);
            List<Dim> want = new ArrayList<>(a.dims());
            want.set(want.size() - 1, Dim.of(1));
            if (row.dtype() != DType.F32 || !row.dims().equals(want)) {
                throw ctx.fail("row scale must be f32" + want + ", got " + row);
            }
        }
        for (int i = 4; i < Math.min(scalesEnd, ctx.inputCount()); i++) {
            TensorType scale = ctx.input(i);
            boolean one = scale.elementCount().equals(Dim.of(1));
            // Of two factors the first is the activations' (one element), the second the weights'.
            boolean perColumnAllowed = factors == 1 || i == 5;
            if (scale.dtype() != DType.F32
                    || !(one
                            || perColumnAllowed
                                    && scale.rank() == 1
                                    && scale.dim(0).equals(n))) {
                throw ctx.fail("scale input " + i + " must be one f32" + (perColumnAllowed ? " or f32[" + n + "]" : "")
                        + ", got " + scale);
            }
        }
        if (ctx.inputCount() > biasAt) {
            TensorType bias = ctx.input(biasAt);
            if (bias.dtype() != DType.F32 || bias.rank() != 1 || !bias.dim(0).equals(n)) {
                throw ctx.fail("bias must be f32[" + n + "], got " + bias);
            }
        }
        List<Dim> out = new ArrayList<>(a.dims());
        out.set(out.size() - 1, n);
        return List.of(
                TensorType.of(ctx.inputCount() > 4 ? DType.F32 : DType.I32).withDims(out));
    }
}
