package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.List;

/**
 * ONNX's quantization ops as the ONNX frontend imports them, one node each: QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, QLinearMatMul, ConvInteger and
 * QLinearConv, with ONNX's semantics
 * (the reference interpreter runs them as written). No backend has kernels for them: the {@code
 * quantize} pass lowers them, first in the default pipeline, to the element-wise ops, i32 {@code
 * matmul}s and f32 {@code conv}s of integers that {@code fold} and {@code quant-gemm} then work on.
 */
final class QuantLinearOps {
    private QuantLinearOps() {}

    static List<OpDef> defs() {
        return List.of(
                // to: the quantized type (the zero point's when there is one); saturate: as cast's,
                // for 8-bit float targets.
                new OpSpec("quantize_linear", 2, 3, QuantLinearOps::quantize)
                        .attrs(
                                AttrSpec.integer("axis", 1),
                                AttrSpec.integer("block_size", 0),
                                AttrSpec.integer("saturate", 1),
                                AttrSpec.type("to")),
                new OpSpec("dequantize_linear", 2, 3, QuantLinearOps::dequantize)
                        .attrs(AttrSpec.integer("axis", 1), AttrSpec.integer("block_size", 0)),
                OpSpec.fixed("dynamic_quantize_linear", 1, QuantOps::dynamicQuantize),
                new OpSpec("matmul_integer", 2, 4, QuantLinearOps::matmulInteger),
                OpSpec.fixed("qlinear_matmul", 8, QuantLinearOps::qlinearMatmul),
                new OpSpec("conv_integer", 2, 4, QuantLinearOps::convInteger).attrs(ConvOps.window()),
                new OpSpec("qlinear_conv", 8, 9, QuantLinearOps::qlinearConv).attrs(ConvOps.window()));
    }

    /**
     * {@code quantize_linear(x, scale [, zero_point]) {to}}: {@code saturate(round(x / scale) +
     * zero_point)} to type {@code to}, in f32, rounding half to even (8- and 4-bit float targets are
     * not rounded to integers: the conversion rounds to the format). The scale and zero point are one
     * element, one per index of x's dimension {@code axis}, or with {@code block_size} one per block
     * of that many consecutive elements along {@code axis} (then of x's rank).
     */
    private static List<TensorType> quantize(InferContext ctx) {
        TensorType x = ctx.input(0);
        if (!ctx.has("to")) {
            throw ctx.fail("needs attribute 'to'");
        }
        DType to = ctx.typeAttr("to");
        if (!x.dtype().isFloat() && x.dtype() != DType.I32) {
            throw ctx.fail("x must be a float or i32 tensor, got " + x);
        }
        parameters(ctx, x, to);
        return List.of(x.withDType(to).withDims(x.dims()));
    }

    /**
     * {@code dequantize_linear(x, scale [, zero_point])}: {@code (x - zero_point) · scale} in f32,
     * the result in the scale's type; scale and zero point broadcast as for {@code quantize_linear}.
     */
    private static List<TensorType> dequantize(InferContext ctx) {
        TensorType x = ctx.input(0);
        parameters(ctx, x, x.dtype());
        return List.of(x.withDType(ctx.input(1).dtype()).withDims(x.dims()));
    }

    /** Checks the scale (a float) and zero point (of type {@code quantized}) against x, axis and block_size. */
    private static void parameters(InferContext ctx, TensorType x, DType quantized) {
        TensorType scale = ctx.input(1);
        if (!scale.dtype().isFloat()) {
            throw ctx.fail("scale must be a float tensor, got " + scale);
        }
        if (ctx.inputCount() > 2) {
            TensorType zp = ctx.input(2);
            if (zp.dtype() != quantized || !zp.elementCount().equals(scale.elementCount())) {
                throw ctx.fail("zero_point must be " + quantized.irName() + " with as many elements as the scale "
                        + scale + ", got " + zp);
            }
        }
        if (scale.elementCount().equals(Dim.of(1)) && ctx.intAttr("block_size") == 0) {
            return;
        }
        int axis = ctx.axis(ctx.intAttr("axis"), Math.max(1, x.rank()));
        long block = ctx.intAttr("block_size");
        boolean fits = block == 0
                ? scale.rank() == 1 && scale.dim(0).equals(x.dim(axis))
                : block > 0 && scale.rank() == x.rank() && x.dim(axis).isFixed();
        if (!fits) {
            throw ctx.fail("scale " + scale + " is neither one element, one per index of axis " + axis + " of x " + x
                    + ", nor (block_size " + block + ") of x's rank");
        }
    }

    /**
     * {@code matmul_integer(a, b [, a_zero_point [, b_zero_point]])}: {@code (a - a_zp) × (b -
     * b_zp)} exactly in i32 (numpy matmul shapes); a's zero point is one element or one per row of
     * a, b's one element or one per column of b.
     */
    private static List<TensorType> matmulInteger(InferContext ctx) {
        TensorType a = ctx.input(0);
        TensorType b = ctx.input(1);
        eightBit(ctx, a, "a");
        eightBit(ctx, b, "b");
        zeroPoints(ctx);
        return List.of(TensorType.of(DType.I32).withDims(LinalgOps.productDims(ctx, a, b)));
    }

    /**
     * {@code qlinear_matmul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp)}: the i32 product of
     * the centred operands (as {@code matmul_integer}) requantised in f32, {@code saturate(round(acc ·
     * (a_scale · b_scale / y_scale)) + y_zp)}, to y_zp's type.
     */
    private static List<TensorType> qlinearMatmul(InferContext ctx) {
        TensorType a = ctx.input(0);
        TensorType b = ctx.input(3);
        eightBit(ctx, a, "a");
        eightBit(ctx, b, "b");
        TensorType yzp = ctx.input(7);
        eightBit(ctx, yzp, "y_zero_point");
        floatScales(ctx);
        return List.of(yzp.withDims(LinalgOps.productDims(ctx, a, b)));
    }

    /**
     * {@code conv_integer(x, w [, x_zero_point [, w_zero_point]])} with conv's attributes: the
     * convolution of {@code x - x_zp} by {@code w - w_zp} → {@code i32} (the sum is computed in f32,
     * exact while partial sums stay below 2^24); w's zero point one element or one per output channel.
     */
    private static List<TensorType> convInteger(InferContext ctx) {
        TensorType x = ctx.input(0);
        TensorType w = ctx.input(1);
        eightBit(ctx, x, "x");
        eightBit(ctx, w, "w");
        zeroPoints(ctx);
        return List.of(TensorType.of(DType.I32).withDims(ConvOps.convDims(ctx, x, w)));
    }

    /**
     * {@code qlinear_conv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp [, bias i32[M]])}: the
     * convolution of the centred operands plus the bias, computed in f32 as {@code conv_integer}'s,
     * requantised {@code saturate(round(acc · (x_scale · w_scale / y_scale)) + y_zp)} to y_zp's type;
     * w_scale one element or one per output channel.
     */
    private static List<TensorType> qlinearConv(InferContext ctx) {
        TensorType x = ctx.input(0);
        TensorType w = ctx.input(3);
        eightBit(ctx, x, "x");
        eightBit(ctx, w, "w");
        TensorType yzp = ctx.input(7);
        eightBit(ctx, yzp, "y_zero_point");
        floatScales(ctx);
        List<Dim> out = ConvOps.convDims(ctx, x, w);
        if (ctx.inputCount() > 8
                && (ctx.input(8).dtype() != DType.I32 || !ctx.input(8).dims().equals(List.of(out.get(1))))) {
            throw ctx.fail("bias must be i32[" + out.get(1) + "], got " + ctx.input(8));
        }
        return List.of(yzp.withDims(out));
    }

    /** The optional zero points of an integer product (inputs 2 and 3): scalars or vectors of their operand's type. */
    private static void zeroPoints(InferContext ctx) {
        for (int i = 2; i < ctx.inputCount(); i++) {
            TensorType operand = ctx.input(i - 2);
            if (ctx.input(i).dtype() != operand.dtype() || ctx.input(i).rank() > 1) {
                throw ctx.fail("zero point " + i + " must be a scalar or vector of "
                        + operand.dtype().irName() + ", got " + ctx.input(i));
            }
        }
    }

    /** The three scales of a QLinear op (inputs 1, 4 and 6) are float tensors. */
    private static void floatScales(InferContext ctx) {
        for (int i : new int[] {1, 4, 6}) {
            if (!ctx.input(i).dtype().isFloat()) {
                throw ctx.fail("scale input " + i + " must be a float tensor, got " + ctx.input(i));
            }
        }
    }

    private static void eightBit(InferContext ctx, TensorType t, String role) {
        if (t.dtype() != DType.U8 && t.dtype() != DType.I8) {
            throw ctx.fail(role + " must be u8 or i8, got " + t);
        }
    }
}
